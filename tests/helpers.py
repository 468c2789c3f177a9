"""Shared test helpers: real clips, real ffmpeg containers, real Snakemake runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")


@dataclass(frozen=True)
class Clip:
    path: Path
    language: str
    reference: str
    duration: float

    @property
    def name(self) -> str:
        return self.path.stem


def clips() -> dict[str, Clip]:
    """Every test clip from tests/data/manifest.json, keyed by file stem."""
    entries = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for e in entries:
        path = (DATA / e["file"]).resolve()
        out[path.stem] = Clip(path, e["language"], e["reference_text"], e["duration_s"])
    return out


def clip(prefix: str) -> Clip:
    """The one clip whose stem starts with ``prefix``."""
    [match] = [c for name, c in clips().items() if name.startswith(prefix)]
    return match


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_video(audio: Path, dst: Path, acodec: str = "aac", size: str = "160x120") -> Path:
    """A real video container: a test-pattern video stream plus ``audio``."""
    from subvox.media.ffmpeg import probe

    duration = probe(audio)["duration"]
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size={size}:rate=10:duration={duration}",
        "-i",
        str(audio),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libvpx-vp9" if dst.suffix == ".webm" else "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        acodec,
        str(dst),
    )
    return dst


def make_audio(audio: Path, dst: Path, *extra: str) -> Path:
    """Re-encode ``audio`` into ``dst`` (format from the extension)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-i", str(audio), *extra, str(dst))
    return dst


def copy(src: Path, dst: Path) -> Path:
    """Copy a clip into a test library, creating folders."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def two_tracks(first: Path, second: Path, dst: Path, languages: tuple[str, str] = ("ger", "eng")) -> Path:
    """A container with two language-tagged audio tracks (FLAC), as films with dubs have."""
    ffmpeg(
        "-i",
        str(first),
        "-i",
        str(second),
        "-map",
        "0:a",
        "-map",
        "1:a",
        "-c:a",
        "flac",
        "-metadata:s:a:0",
        f"language={languages[0]}",
        "-metadata:s:a:1",
        f"language={languages[1]}",
        str(dst),
    )
    return dst


def write_config(workdir: Path, **config: Any) -> Path:
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def snakemake(
    workdir: Path, *args: str, config: Path | None = None, check: bool = True, timeout: int = 900, cores: int = 2
) -> subprocess.CompletedProcess[str]:
    """Run the real workflow with ``workdir`` as working directory."""
    cmd = [
        SNAKEMAKE,
        "--configfile",  # first: it takes several values, so targets must not follow it
        str(config or workdir / "config.yaml"),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc


def concat_audio(parts: list[Path], dst: Path, gap_s: float = 0.0) -> Path:
    """Join real clips (16 kHz mono) into one file, with optional silence between them."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    labels = []
    for k, p in enumerate(parts):
        args += ["-i", str(p)]
        labels.append(f"[a{k}]")
    chains = [
        f"[{k}]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={gap_s}[a{k}]" for k in range(len(parts))
    ]
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={len(parts)}:v=0:a=1"
    ffmpeg(*args, "-filter_complex", graph, str(dst))
    return dst


def synth(dst: Path, source: str, seconds: float) -> Path:
    """A generated (non-speech) signal from ffmpeg's lavfi sources, e.g. anullsrc or sine."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", source, "-t", str(seconds), str(dst))
    return dst


def check_cues(d, max_chars=42, max_lines=2, min_dur=0.8, max_dur=7.0, min_gap=0.08):
    """Property check shared with the other workflow tests: every cue of an output."""
    previous = None
    for cue in d["cues"]:
        single_word = len(" ".join(cue["lines"]).split()) == 1
        assert 1 <= len(cue["lines"]) <= max_lines, cue
        assert single_word or all(len(line) <= max_chars for line in cue["lines"]), cue
        duration = cue["end"] - cue["start"]
        assert duration <= max_dur + 1e-6, cue
        assert duration >= min_dur - 1e-6 or "short" in cue.get("flags", []), cue
        assert cue["end"] <= d["duration"] + 1e-3
        if previous:
            assert cue["start"] - previous["end"] >= min_gap - 1e-3, (previous, cue)
        previous = cue


def ffprobe(path: Path) -> dict:
    """ffprobe's streams and format of ``path``, as JSON."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", f"file:{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out)


def packets_hash(path: Path, selector: str) -> str:
    """sha256 over the packets of the selected streams, copied (not decoded): equal means bit-identical."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"file:{path}", "-map", selector, "-c", "copy", "-f", "streamhash",
         "-hash", "sha256", "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return "\n".join(line.split(",", 1)[1] for line in out.splitlines())
