"""The code base stays clean: ruff on the package/scripts/tests, and Snakemake's own linter."""

import subprocess

from tests.helpers import BIN, REPO


def test_ruff_is_clean():
    proc = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_is_clean(tmp_path):
    proc = subprocess.run(
        [
            str(BIN / "snakemake"),
            "--lint",
            "--config",
            f"input_dir={REPO / 'example' / 'media'}",
            f"output_dir={tmp_path / 'out'}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
