"""The review pages in a real browser: one small library (a diarized, dubbed video conversation,
a read clip and a broken file) through the workflow, then headless Chromium plays the pages."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import webvtt
from PIL import Image

from subvox.reports.review.browser import Chromium
from tests.helpers import DATA, clip, concat_audio, copy, ffmpeg, make_video, snakemake, write_config

pytestmark = pytest.mark.slow

LIBRI = DATA / "audio" / "lhotse_libri-1088-134315-0000.flac"  # a second real voice (see LICENSES.md)
TALK = "talk/conversation #1"  # a name that must be URL-quoted in links


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    work = tmp_path_factory.mktemp("review")
    parts, media = work / "parts", work / "media"
    parts.mkdir()
    ffmpeg("-i", str(LIBRI), "-to", "8", "-ar", "16000", "-ac", "1", str(parts / "libri.wav"))
    concat_audio([clip("coqui_LJ001-0003").path, parts / "libri.wav"], parts / "talk.wav", gap_s=1.0)
    make_video(parts / "talk.wav", media / f"{TALK}.mp4")
    copy(clip("LJ001-0001").path, media / "read" / "LJ001-0001.flac")
    (media / "broken").mkdir()
    (media / "broken" / "bad.mp4").write_text("not a video")
    enroll = [str(clip("coqui_LJ001-0002").path), str(clip("coqui_LJ001-0004").path)]
    write_config(
        work,
        input_dir=str(media),
        output_dir=str(work / "out"),
        models_dir=str(work / "models"),
        diarization={"enabled": True, "enroll": {"linda": enroll}},
        speakers={"robot": {"engine": "espeak", "default": "en-us"}},
        revoice={"enabled": True, "speaker": "robot", "qa": {"similarity": False}},
    )
    proc = snakemake(work, "all", "report", check=False)
    assert (work / "out" / "report.html").is_file(), proc.stderr[-4000:]
    return work / "out"


def page_data(path: Path, element_id: str) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(f'<script type="application/json" id="{element_id}">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def test_overview_puts_failures_first_then_flags_with_counts(library):
    data = page_data(library / "report.html", "library-data")
    rows = [dict(zip(data["columns"], r, strict=True)) for r in data["rows"]]
    assert rows[0]["source"] == "broken/bad.mp4" and rows[0]["failed"]
    assert {r["source"] for r in rows} == {"broken/bad.mp4", f"{TALK}.mp4", "read/LJ001-0001.flac"}
    qa = {
        json.loads(p.read_text())["source"]: json.loads(p.read_text())
        for p in (library / "_subvox" / "qa").rglob("*.json")
        if not p.name.endswith(".revoice.json")
    }
    flags = {f["key"]: f for f in data["flags"]}
    assert flags["failed"]["files"] == 1
    assert flags["fast"]["items"] == sum(q["fast_cues"] for q in qa.values())
    assert flags["dropped"]["items"] == sum(q["dropped_hallucinations"] for q in qa.values())
    for r in rows[1:]:
        assert r["cues"] == qa[r["source"]]["cues"] and r["href"].endswith(".html")
    assert "%23" in next(r["href"] for r in rows if r["source"].startswith("talk/")), "'#' in a name is quoted"
    for page in [library / "report.html", *(library / "report_files").rglob("*.*")]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"{page} must open offline"


def seconds(stamp: str) -> float:
    """A WebVTT time (webvtt-py 0.5's ``start_in_seconds`` drops the milliseconds)."""
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def seek_and_read(b: Chromium, t: float) -> tuple[int, str]:
    b.evaluate(
        f"new Promise(done => {{ media.addEventListener('seeked', () => setTimeout(done, 300), {{once: true}});"
        f" media.currentTime = {t}; }})"
    )
    assert abs(b.evaluate("media.currentTime") - t) < 0.01
    assert b.evaluate("now.dataset.source") == "vtt", "the active cue comes from the <track>"
    return b.evaluate("[Number(now.dataset.index), now.lastChild ? now.lastChild.textContent : '']")


def test_file_page_plays_shows_the_right_cue_seeks_and_toggles_the_dub(library, tmp_path):
    vtt = webvtt.read(str(library / f"{TALK}.vtt"))
    data = json.loads((library / f"{TALK}.json").read_text(encoding="utf-8"))
    assert len(vtt) == len(data["cues"]) >= 3
    speakers = list(dict.fromkeys(c["speaker"] for c in data["cues"]))
    page = library / "report_files" / f"{TALK}.html"
    with Chromium(height=1000) as b:
        b.goto(page.as_uri())
        b.wait_for("document.body.dataset.ready === '1' && media.readyState >= 1")
        assert b.evaluate("media.tagName") == "VIDEO"
        assert b.evaluate(f"Math.abs(media.duration - {data['duration']}) < 0.2")
        assert b.evaluate("media.play().then(() => true)")
        b.wait_for("media.currentTime > 0.5 && !media.paused", timeout=20)
        b.evaluate("media.pause()")
        assert b.evaluate("document.getElementById('subs').readyState") == 2, "the VTT loaded as the track"
        assert b.evaluate("document.getElementById('subs').track.cues.length") == len(vtt)
        # the active cue at a seek position: the one webvtt-py finds at that time in the file
        for k in (1, len(vtt) - 1):
            t = (seconds(vtt[k].start) + seconds(vtt[k].end)) / 2
            index, text = seek_and_read(b, t)
            assert index == k and " ".join(text.split()) == " ".join(vtt[k].text.split()), (k, text)
            assert b.evaluate("document.querySelector('#cues li.active').dataset.i") == str(k)
        # between cues nothing is shown
        gap = next(i for i in range(len(vtt) - 1) if seconds(vtt[i + 1].start) - seconds(vtt[i].end) > 0.05)
        assert seek_and_read(b, seconds(vtt[gap].end) + 0.02)[0] == -1
        # the cue list seeks: a real click on a cue moves the player to its start
        target = len(vtt) // 2
        b.click(f'#cues li[data-i="{target}"]')
        b.wait_for(f"now.dataset.index === '{target}'")
        assert abs(b.evaluate("media.currentTime") - data["cues"][target]["start"]) < 0.01
        # the timeline marks the current position with its red playhead
        red = b.evaluate(
            "(() => { const c = document.getElementById('timeline'), g = c.getContext('2d');"
            f" const x = Math.round(media.currentTime / {data['duration']} * c.width);"
            " const p = g.getImageData(x, 5, 1, 1).data; return p[0] > 180 && p[1] < 60 && p[2] < 60; })()"
        )
        assert red
        # speakers: one colour each, the same in the legend and on the cues
        legend = b.evaluate("[...document.querySelectorAll('.legend span')].map(s => s.textContent)")
        assert legend == speakers and len(speakers) >= 2
        colours = b.evaluate("[...document.querySelectorAll('#cues li')].map(li => li.style.getPropertyValue('--c'))")
        by_speaker = {c["speaker"]: colours[i] for i, c in enumerate(data["cues"])}
        assert len(set(by_speaker.values())) == len(speakers)
        assert all(colours[i] == by_speaker[c["speaker"]] for i, c in enumerate(data["cues"]))
        # the dub: a second source, heard instead of the original and kept on its clock
        b.click('input[name="voice"][value="dub"]')
        b.wait_for("document.body.dataset.voice === 'dub'")
        assert b.evaluate("media.muted && !dub.muted")
        assert b.evaluate("media.play().then(() => true)")
        b.wait_for("!dub.paused && dub.currentTime > 0 && dub.readyState >= 2", timeout=20)
        assert b.evaluate("Math.abs(dub.currentTime - media.currentTime)") < 0.35
        assert b.evaluate("Math.abs(dub.duration - media.duration)") < 0.2
        b.evaluate("media.pause()")
        assert b.errors == []


def test_overview_screenshot_and_filters(library, tmp_path):
    with Chromium(width=1200, height=800) as b:
        b.goto((library / "report.html").as_uri())
        b.wait_for("document.body.dataset.ready === '1'")
        assert b.evaluate("document.querySelectorAll('#files-body tr').length") == 3
        png = b.screenshot(str(tmp_path / "overview.png"))
        b.click('.card[data-flag="failed"]')
        assert b.evaluate("[...document.querySelectorAll('#files-body tr')].map(r => r.cells[2].textContent)") == [
            "broken/bad.mp4" + b.evaluate("document.querySelector('#files-body tr .muted').textContent")
        ]
        b.click(".card[data-flag='']")
        b.click("#files-body a")  # the first linked file opens its page
        b.wait_for("!!document.body && document.body.dataset.ready === '1' && !!document.getElementById('media')")
        assert b.errors == []
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1200, 800) and len(png) > 20_000
    pixels = np.asarray(image, dtype=np.int16).reshape(-1, 3)
    assert (pixels != 255).any(axis=1).mean() > 0.02, "the page is not blank"
    failed_red = (np.abs(pixels - (0xB3, 0x26, 0x1E)) < 12).all(axis=1).sum()
    assert failed_red > 50, "the failed badge and count are drawn"


def test_report_opened_elsewhere_says_the_media_is_missing_and_still_lists_cues(library, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(library / "report_files", moved / "report_files")
    shutil.copy(library / "report.html", moved / "report.html")
    with Chromium() as b:
        b.goto((moved / "report_files" / "read" / "LJ001-0001.html").as_uri())
        b.wait_for("document.body.dataset.ready === '1'")
        b.wait_for("document.getElementById('media-error').textContent.includes('media not found')")
        said = b.evaluate("document.getElementById('media-error').textContent")
        assert "LJ001-0001.flac" in said
        assert said.count("media not found") == 1, "said once, whether the error came before the script or after"
        assert b.evaluate("document.querySelectorAll('#cues li').length") >= 1
        assert b.evaluate("document.getElementById('subs').readyState") == 2, "the cues still come with the page"
