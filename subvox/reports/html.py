"""One self-contained HTML report of a run: per-file waveform with cues, QA, speed; run tables.

Plots are drawn with matplotlib (Agg) and embedded as PNG data URIs, so the page opens
offline from any folder. Text is HTML-escaped (file names are user data).
"""

from __future__ import annotations

import base64
import html
import io
import os
from typing import Any

import numpy as np

from subvox.library.atomic import read_json, write_text
from subvox.media.ffmpeg import decode_at

SPEAKER_COLOURS = ("#e07a5f", "#3d405b", "#81b29a", "#f2cc8f", "#9c6644", "#6d597a", "#b56576", "#355070")


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def waveform_plot(samples: np.ndarray, rate: int, cues: list[dict[str, Any]], title: str) -> str:
    """Envelope of the audio with each cue drawn as a span on the timeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    duration = len(samples) / rate if len(samples) else 0.0
    bins = max(1, min(2000, len(samples)))
    usable = samples[: len(samples) // bins * bins].astype(np.float32) / 32768.0
    env = np.abs(usable.reshape(bins, -1)).max(axis=1) if len(usable) else np.zeros(1)
    t = np.linspace(0, duration, len(env))
    fig, ax = plt.subplots(figsize=(10, 1.8))
    ax.fill_between(t, -env, env, color="#4a6fa5", linewidth=0)
    speakers = sorted({c["speaker"] for c in cues if c.get("speaker")})
    for k, cue in enumerate(cues):
        colour = "#e07a5f" if k % 2 else "#f2cc8f"
        if cue.get("speaker"):  # diarized: one colour per speaker
            colour = SPEAKER_COLOURS[speakers.index(cue["speaker"]) % len(SPEAKER_COLOURS)]
        ax.axvspan(cue["start"], cue["end"], ymin=0.0, ymax=0.12, color=colour)
    if speakers:
        handles = [Patch(color=SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)], label=s) for i, s in enumerate(speakers)]
        ax.legend(handles=handles, loc="upper right", fontsize=7, ncol=min(len(speakers), 6), frameon=False)
    ax.set_xlim(0, max(duration, 1e-3))
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.set_xlabel("seconds (bars: subtitle cues)")
    ax.set_title(title, fontsize=9, loc="left", parse_math=False)
    fig.tight_layout()
    return _png(fig)


def rtf_plot(rows: list[dict[str, Any]]) -> str:
    """Real-time factor per transcribed file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in rows if r.get("rtf") is not None]
    fig, ax = plt.subplots(figsize=(10, 2.5))
    ax.bar(range(len(timed)), [r["rtf"] for r in timed], color="#4a6fa5")
    ax.set_xticks(range(len(timed)), [str(k + 1) for k in range(len(timed))])
    ax.set_ylabel("real-time factor")
    ax.set_xlabel("file (in table order)")
    ax.set_title("Transcription speed per file (lower is faster)", fontsize=9, loc="left")
    fig.tight_layout()
    return _png(fig)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build(files: list[tuple[str, str, str]], layout: Any, failed: list[dict[str, str]], max_files: int) -> str:
    """The report page for ``files`` (stem, media, source) of a library."""
    rows, sections = [], []
    for stem, media, source in sorted(files, key=lambda f: f[2]):
        if not os.path.isfile(layout.qa(stem)):
            continue
        qa = read_json(layout.qa(stem))
        timing = read_json(layout.timing(stem)) if os.path.isfile(layout.timing(stem)) else {}
        rtf = round(timing["transcribe_s"] / timing["audio_s"], 3) if timing.get("audio_s") else None
        row = {"source": source, "rtf": rtf, **qa}
        rows.append(row)
        if len(sections) < max_files:
            data = read_json(layout.outputs(stem)["json"]) if "json" in layout.formats else {"cues": []}
            data.setdefault("source", {"extracted": {"audio_stream": 0}})
            rate = 8000
            try:
                samples = decode_at(media, rate, data["source"]["extracted"]["audio_stream"])
            except Exception:
                samples = np.zeros(0, dtype="<i2")
            img = waveform_plot(samples, rate, data["cues"], source)
            figures = _table(
                [
                    "duration s",
                    "language(s)",
                    "cues",
                    "max line",
                    "max CPS",
                    "fast",
                    "overlaps",
                    "coverage",
                    "hallucinations dropped",
                    "WER",
                    "RTF",
                ],
                [
                    [
                        qa["duration_s"],
                        ",".join(dict.fromkeys(r["language"] for r in qa["languages"])),
                        qa["cues"],
                        qa["max_line_chars"],
                        qa["max_cps"],
                        qa["fast_cues"],
                        qa["overlaps"],
                        qa["speech_coverage"],
                        qa["dropped_hallucinations"],
                        qa["wer"],
                        rtf,
                    ]
                ],
            )
            notes = "".join(f"<li>{html.escape(n)}</li>" for n in qa["notes"])
            sections.append(
                f'<section><h3>{html.escape(source)}</h3><img class="waveform" alt="waveform of '
                f'{html.escape(source)}" src="{img}">{figures}<ul>{notes}</ul></section>'
            )
    total_audio = sum(r["duration_s"] for r in rows)
    overview = _table(
        ["source", "duration s", "language", "cues", "max CPS", "dropped", "WER", "RTF"],
        [
            [
                r["source"],
                r["duration_s"],
                r["language"],
                r["cues"],
                r["max_cps"],
                r["dropped_hallucinations"],
                r["wer"],
                r["rtf"],
            ]
            for r in rows
        ],
    )
    dubs = _dub_table(files, layout) if getattr(layout, "revoice", False) else ""
    failures = _table(["input", "stage", "reason"], [[f["input"], f["stage"], f["reason"]] for f in failed])
    plot = f'<img class="run-plot" alt="real-time factor per file" src="{rtf_plot(rows)}">' if rows else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>subvox report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}}img{{max-width:100%}}</style></head>
<body><h1>subvox report</h1>
<p>{len(rows)} files with subtitles, {len(failed)} failed, {total_audio / 3600:.2f} h of audio.</p>
<h2>Files</h2>{overview}{plot}
{dubs}
<h2>Failures</h2>{failures if failed else "<p>none</p>"}
<h2>Per file</h2>{"".join(sections)}
</body></html>
"""


def _dub_table(files: list[tuple[str, str, str]], layout: Any) -> str:
    """The re-voicing QA of every dubbed file (OUTPUT/_subvox/qa/<stem>.revoice.json)."""
    keys = ["speaker", "engine", "mix", "cues", "stretched", "max_stretch", "overflows", "roundtrip_wer"]
    rows = []
    for stem, _, source in sorted(files, key=lambda f: f[2]):
        if os.path.isfile(layout.dub_qa(stem)):
            qa = read_json(layout.dub_qa(stem))
            sims = [qa.get("similarity_to_source"), qa.get("similarity_to_reference")]
            rows.append([source, *(qa.get(k) for k in keys), *sims])
    headers = ["source", *keys, "similarity to source", "similarity to reference"]
    return f"<h2>Dubs</h2>{_table(headers, rows)}" if rows else "<h2>Dubs</h2><p>none yet</p>"


def write_report(
    path: str, files: list[tuple[str, str, str]], layout: Any, failed: list[dict[str, str]], max_files: int
) -> None:
    write_text(path, build(files, layout, failed, max_files))
