import shutil

import pytest


@pytest.fixture(scope="session", autouse=True)
def _ffmpeg_present():
    """Every media test uses the real ffmpeg; fail loudly (never skip) when it is missing."""
    missing = [tool for tool in ("ffmpeg", "ffprobe") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not on PATH: run `make test` (it installs them)")
