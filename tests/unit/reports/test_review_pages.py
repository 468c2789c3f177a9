"""The review pages folder keeps only the pages of files that are still in the report."""

from subvox.reports.review.build import _drop_stale_pages


def test_pages_of_files_that_left_are_removed_and_assets_kept(tmp_path):
    pages = tmp_path / "report_files"
    (pages / "a").mkdir(parents=True)
    for name in ("a/kept.html", "a/gone.html", "gone too.html", "review.css", "player.js"):
        (pages / name).write_text("x", encoding="utf-8")
    _drop_stale_pages(str(pages), {str(pages / "a" / "kept.html")})
    assert sorted(p.relative_to(pages).as_posix() for p in pages.rglob("*") if p.is_file()) == [
        "a/kept.html",
        "player.js",
        "review.css",
    ]
