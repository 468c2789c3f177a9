"""Write the review pages of a library: ``OUT/report.html`` and ``OUT/report_files/<stem>.html``.

The overview stays light for any library size: it holds one short row per file and shows a
page of rows at a time; everything heavy (cues, waveform, player) is on the file's own page.
Pages link to the media, the VTT and the dub by paths relative to themselves, so nothing is
copied: the report works wherever the output folder and the media keep their relative places
(and, copied elsewhere alone, still shows cues, timelines and QA, saying the media is missing).
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

import ffmpeg

from subvox.library.atomic import read_json, write_text
from subvox.reports.review.pages import asset, file_page, index_page, overview_row
from subvox.reports.review.peaks import cached_envelope
from subvox.reports.review.records import Record, collect, cue_confidence
from subvox.subtitles.segment import Cue
from subvox.subtitles.writers import vtt_text

log = logging.getLogger("subvox")
PAGES_DIR = "report_files"  # beside report.html, as browsers save a page's files
ASSETS = ("review.css", "player.js")


def href(target: str, start_dir: str) -> str:
    """A URL path from ``start_dir`` to ``target`` (bytes of non-UTF-8 names kept as %XX)."""
    return quote(os.fsencode(os.path.relpath(target, start_dir)))


def write_report(path: str, files: list[tuple[str, str, str]], layout: Any, conf: dict[str, Any]) -> list[Record]:
    """Write the overview at ``path`` and a page per file with subtitles; the records, in overview order."""
    out_dir = os.path.dirname(path) or "."
    pages = os.path.join(out_dir, PAGES_DIR)
    for name in ASSETS:
        write_text(os.path.join(pages, name), asset(name))
    records = collect(files, layout, conf)
    rows, waveforms, written = [], 0, set()
    for rec in records:
        link = None
        if rec.has_page:
            page = os.path.join(pages, f"{rec.stem}.html")
            try:
                write_text(page, _page(rec, layout, page, pages, out_dir, conf, waveforms < conf["max_files"]))
                link = href(page, out_dir)
                waveforms += 1
                written.add(os.path.normpath(page))
            except (OSError, ValueError, KeyError) as exc:  # this file's page only
                log.warning("report: %s: no review page (%s: %s)", rec.source, type(exc).__name__, exc)
        rows.append(overview_row(rec, link))
    write_text(path, index_page(rows, records, conf["per_page"]))
    _drop_stale_pages(pages, written)
    return records


def _drop_stale_pages(pages: str, written: set[str]) -> None:
    """Remove the pages of files that left the library (or lost their subtitles) since the last
    report: nothing links to them any more."""
    for folder, _, names in os.walk(pages):
        for name in names:
            path = os.path.normpath(os.path.join(folder, name))
            if name.endswith(".html") and path not in written:
                os.unlink(path)


def _page(
    rec: Record, layout: Any, page: str, pages: str, out_dir: str, conf: dict[str, Any], waveform: bool
) -> str:  # fmt: skip
    here = os.path.dirname(page)
    outputs = layout.outputs(rec.stem)
    data = read_json(outputs["json"])
    vtt_path = outputs.get("vtt")
    if vtt_path and os.path.isfile(vtt_path):
        with open(vtt_path, encoding="utf-8") as fh:
            vtt = fh.read()
    else:  # VTT not among the formats: the same writer gives the page its track
        vtt_path = None
        vtt = vtt_text(
            [Cue(c["start"], c["end"], c["lines"], c.get("flags", []), c.get("speaker")) for c in data["cues"]]
        )
    dub = layout.dub_outputs(rec.stem, rec.media)["wav"] if layout.revoice else None
    links = {
        "media": href(rec.media, here),
        "vtt": href(vtt_path, here) if vtt_path else None,
        "dub": href(dub, here) if dub and os.path.isfile(dub) else None,
        "css": href(os.path.join(pages, "review.css"), here),
        "js": href(os.path.join(pages, "player.js"), here),
        "index": href(os.path.join(out_dir, "report.html"), here),
    }
    peaks = None
    if waveform:
        stream = data.get("source", {}).get("extracted", {}).get("audio_stream", 0)
        try:
            peaks = cached_envelope(f"{layout.work}/review/peaks/{rec.stem}.json", rec.media, stream)
        except (OSError, ValueError, ffmpeg.Error) as exc:  # media gone or unreadable now: the page still has its cues
            log.warning("report: %s: no waveform (%s)", rec.source, " ".join(str(exc).split())[:200])
    return file_page(rec, data, links, peaks, conf, cue_confidence(data), vtt)
