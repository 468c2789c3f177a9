"""HTML of the review pages: the library overview and one page per file.

Pages carry their data as JSON inside ``<script type="application/json">`` (every ``<``
escaped, so no file name or cue text can end the script) and are otherwise static HTML:
the cue list and QA tables read without JavaScript, the scripts add playback, seeking,
the timeline and the overview's paging. Nothing is fetched from the network.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

from subvox.reports.review.records import FLAGS, Record

SPEAKER_COLOURS = ("#e07a5f", "#3d405b", "#81b29a", "#c9a227", "#9c6644", "#6d597a", "#b56576", "#355070")
STILL_IMAGES = ("mjpeg", "png", "bmp", "gif", "webp")  # cover art: an audio file, not a video
# overview columns after rank, flags and source: (row key, heading)
NUMERIC = (
    ("duration", "duration s"),
    ("language", "language"),
    ("cues", "cues"),
    ("fast", "fast"),
    ("dropped", "dropped"),
    ("low_confidence", "low conf."),
    ("overflows", "dub overflows"),
    ("dub_wer", "dub WER"),
    ("wer", "WER"),
    ("rtf", "RTF"),
    ("speakers", "speakers"),
)


@cache
def asset(name: str) -> str:
    """A static file shipped with the package (``static/``)."""
    return (resources.files("subvox.reports.review") / "static" / name).read_text(encoding="utf-8")


def json_script(element_id: str, data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _clock(t: float) -> str:
    m, s = divmod(t, 60)
    return f"{int(m)}:{s:05.2f}"


def _table(rows: list[tuple[str, Any]]) -> str:
    head = "".join(f"<th>{esc(k)}</th>" for k, _ in rows)
    return f"<table><tr>{head}</tr><tr>{''.join(f'<td>{esc(v)}</td>' for _, v in rows)}</tr></table>"


def is_video(probe: dict[str, Any]) -> bool:
    return any(s.get("type") == "video" and s.get("codec") not in STILL_IMAGES for s in probe.get("streams", []))


def speakers_of(cues: list[dict[str, Any]]) -> list[str]:
    """Speakers in order of first appearance (S1, S2, ... or enrolled names)."""
    return list(dict.fromkeys(c["speaker"] for c in cues if c.get("speaker")))


def file_page(
    rec: Record, data: dict[str, Any], links: dict[str, str | None], peaks: list[int] | None, conf: dict[str, Any],
    confidence: list[float | None], vtt: str,
) -> str:  # fmt: skip
    """The page of one file: player, current cue, timeline, cue list, QA."""
    cues = data.get("cues", [])
    speakers = speakers_of(cues)
    colours = [SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)] for i in range(len(speakers))]
    index = {s: i for i, s in enumerate(speakers)}
    items = []
    for k, (cue, c) in enumerate(zip(cues, confidence, strict=True)):
        s = index.get(cue.get("speaker"), -1)
        low = c is not None and c < conf["low_confidence"]
        badges = "".join(f'<span class="badge fast">{esc(f)}</span>' for f in cue.get("flags", []))
        style = f' style="--c:{colours[s]}"' if s >= 0 else ""
        items.append(
            f'<li data-i="{k}"{style}{" class=lowconf" if low else ""}>'
            f'<span class="t">{_clock(cue["start"])}</span><span class="spk">{esc(cue.get("speaker", ""))}</span>'
            f'<span class="line">{esc(chr(10).join(cue["lines"]))}</span>'
            f'<span class="muted">{badges}{"" if c is None else f"{c:.2f}"}</span></li>'
        )
    tag = "video" if is_video(data.get("source", {})) else "audio"
    player = (
        f'<{tag} id="media" controls preload="metadata" src="{esc(links["media"])}">'
        f'<track id="subs" kind="subtitles" default label="subvox" srclang="{esc(data.get("language") or "und")}"'
        f' data-file="{esc(links["vtt"])}"></{tag}>'
    )
    voices = ""
    if links.get("dub"):
        player += f'<audio id="dub" preload="metadata" muted src="{esc(links["dub"])}"></audio>'
        voices = (
            '<label><input type="radio" name="voice" value="original" checked> original audio</label>'
            '<label><input type="radio" name="voice" value="dub"> dub</label>'
        )
    vtt_link = f' <a class="muted" href="{esc(links["vtt"])}">subtitles (VTT)</a>' if links["vtt"] else ""
    legend = "".join(f'<span style="background:{c}">{esc(s)}</span>' for s, c in zip(speakers, colours, strict=True))
    payload = {
        "duration": rec.qa.get("duration_s") or data.get("duration") or 0,
        "cues": [[c["start"], c["end"], index.get(c.get("speaker"), -1)] for c in cues],
        "speakers": speakers,
        "colours": colours,
        "peaks": peaks,
        "vtt": vtt,
    }
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(rec.source)} - subvox review</title>
<link rel="stylesheet" href="{esc(links["css"])}"></head>
<body><p class="muted"><a href="{esc(links["index"])}">&larr; library overview</a></p>
<h1>{esc(rec.source)}</h1>
{f'<p class="badge failed">{esc(rec.failed)}</p>' if rec.failed else ""}
<div class="player">{player}<div id="media-error"></div>
<div class="controls">{voices}<span class="legend">{legend}</span>
<span class="muted">click a cue or the timeline to jump there</span>{vtt_link}</div>
<div id="now" aria-live="polite"></div><canvas id="timeline"></canvas></div>
<h2>Cues ({len(cues)})</h2><ol id="cues">{"".join(items)}</ol>
<h2>QA</h2>{qa_tables(rec)}
{json_script("review-data", payload)}
<script src="{esc(links["js"])}"></script></body></html>
"""


def qa_tables(rec: Record) -> str:
    """The subtitle QA, the flags and, when dubbed, the dub's QA."""
    qa, dub = rec.qa, rec.dub
    languages = ",".join(dict.fromkeys(r["language"] for r in qa.get("languages", [])))
    out = _table(
        [
            ("duration s", qa.get("duration_s")), ("language(s)", languages), ("cues", qa.get("cues")),
            ("max line", qa.get("max_line_chars")), ("max CPS", qa.get("max_cps")), ("fast", qa.get("fast_cues")),
            ("short", qa.get("short_cues")), ("overlaps", qa.get("overlaps")), ("coverage", qa.get("speech_coverage")),
            ("dropped", qa.get("dropped_hallucinations")), ("low conf.", rec.counts.get("low_confidence")),
            ("WER", qa.get("wer")), ("RTF", rec.rtf), ("speakers", qa.get("speakers_n")),
        ]
    )  # fmt: skip
    if dub:
        sims = (dub.get("similarity_to_source"), dub.get("similarity_to_reference"))
        out += "<h2>Dub</h2>" + _table(
            [(k, dub.get(k)) for k in ("speaker", "engine", "mix", "cues", "stretched", "max_stretch", "overflows")]
            + [("round-trip WER", dub.get("roundtrip_wer")), ("similarity to source", sims[0]),
               ("similarity to reference", sims[1])]
        )  # fmt: skip
    notes = "".join(f"<li>{esc(n)}</li>" for n in qa.get("notes", []))
    return out + (f"<ul>{notes}</ul>" if notes else "")


def overview_row(rec: Record, href: str | None) -> dict[str, Any]:
    """The overview's figures of one file (keys: ``NUMERIC`` plus source, href, failed, flags)."""
    qa = rec.qa
    return {
        "source": rec.source, "href": href, "failed": rec.failed, "flags": rec.flags,
        "duration": qa.get("duration_s"), "language": qa.get("language"), "cues": qa.get("cues"),
        "fast": rec.counts.get("fast"), "dropped": rec.counts.get("dropped"),
        "low_confidence": rec.counts.get("low_confidence"), "overflows": rec.counts.get("overflows"),
        "dub_wer": rec.dub.get("roundtrip_wer"), "wer": qa.get("wer"), "rtf": rec.rtf, "speakers": qa.get("speakers_n"),
    }  # fmt: skip


def index_page(rows: list[dict[str, Any]], records: list[Record], per_page: int) -> str:
    """The library overview: counts per flag, then every file in attention order, a page at a time."""
    columns = ["source", "href", "failed", "flags", *(k for k, _ in NUMERIC)]
    cards = [f'<div class="card on" data-flag=""><b>{len(records)}</b>all files</div>']
    flags = []
    for i, (key, label, short) in enumerate(FLAGS):
        files = sum(1 for r in rows if r["flags"] & (1 << i))
        items = sum(r.counts.get(key, 0) for r in records)
        flags.append({"key": key, "label": label, "short": short, "files": files, "items": items})
        what = "" if key in ("failed", "dub_wer") else f" ({items} in all)"
        cards.append(f'<div class="card {key}" data-flag="{key}"><b>{files}</b>{esc(label)}{esc(what)}</div>')
    hours = sum(r.qa.get("duration_s") or 0 for r in records) / 3600
    heads = "".join(f'<th class="num" data-sort="{k}">{esc(h)}</th>' for k, h in NUMERIC)
    data = {
        "columns": columns,
        "rows": [[r[c] for c in columns] for r in rows],
        "flags": flags,
        "numeric": [k for k, _ in NUMERIC],
        "per_page": per_page,
    }
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>subvox review</title><style>{asset("review.css")}</style></head>
<body><h1>subvox review</h1>
<p>{len(records)} files, {sum(1 for r in records if r.failed)} failed, {hours:.2f} h of audio.
Files that need attention come first: failures, then QA flags. Click a file to play it with its cues.</p>
<div class="cards">{"".join(cards)}</div>
<div class="pager"><button id="prev">&larr; previous</button><button id="next">next &rarr;</button>
<span id="pager-info"></span><input id="search" type="search" placeholder="filter by name"></div>
<table id="files"><thead><tr><th class="num" data-sort="">#</th><th data-sort="flags">attention</th>
<th data-sort="source">file</th>{heads}</tr></thead><tbody id="files-body"></tbody></table>
<noscript>The file list needs JavaScript; summary.tsv and failed.tsv list the same files.</noscript>
{json_script("library-data", data)}
<script>{asset("index.js")}</script></body></html>
"""
