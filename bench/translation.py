"""Translation quality of the offline engine (Apertium), in chrF (sacrebleu), on real clips.

    .venv/bin/python bench/translation.py [--engine apertium] [--dubs es,ca]

What is scored is the text translation, from each clip's human reference transcript (so
ASR errors do not blur the engine's figure; the workflow translates Whisper's text, which
adds them back):

* the Spanish, French and Portuguese clips of tests/data (Picovoice/leopard test sentences,
  Apache-2.0) into English where a pair is installed (es->en: apertium-eng-spa), else into
  Spanish (fr->es: apertium-fr-es, pt->es: apertium-es-pt); Debian has no fr->en or pt->en
  pair. The corpora publish no translations: the references below were written for this
  benchmark by the subvox author (a fluent, literal rendering; one reference each), and
  that is the citation. JFK's sentence is scored against the Spanish rendering usually
  quoted ("no preguntéis qué puede hacer vuestro país por vosotros..."), not an official one.
* round trip: every English clip's reference, en->es->en and en->ca->en, scored against
  the original English (a rough check that meaning survives; it flatters a rule-based
  engine, whose errors partly undo themselves).

* dubs (``--dubs``): the real workflow on the 6 English clips (tiny.en, Apertium, espeak-ng:
  en-us for the English dub, each target's default voice), translation targets as given:
  per language the cues, stretched cues, borrowed seconds and overflowing cues (translated
  speech is longer), the characters spoken against the English, and the round trip: each
  target dub transcribed by the multilingual Whisper ``base`` (the workflow's own QA) and its
  corpus WER against the translated cue text. espeak-ng is formant synthesis, so the round
  trip measures how intelligible a robotic voice is to Whisper as much as the dub's timing.

Pairs that are not installed are reported, not skipped silently.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from subvox.translate.registry import load  # noqa: E402

# clip stem -> (target, reference translation): written for this benchmark (see the docstring)
REFERENCES = {
    "leopard_test_es": ("en", "The sands are whitish and of medium grain, and it has very little attendance."),
    "leopard_test_fr": ("es", "Bajo el consulado se convierte en conservador de aguas y bosques y consejero general."),
    "leopard_test_pt": ("es", "Un zorro viejo no consigue aprender ningún oficio."),
    "jfk": ("es", "Y así, compatriotas: no preguntéis qué puede hacer vuestro país por vosotros; "
                  "preguntad qué podéis hacer vosotros por vuestro país."),
}  # fmt: skip


def clips() -> dict[str, dict]:
    entries = json.loads((REPO / "tests/data/manifest.json").read_text(encoding="utf-8"))
    return {Path(e["file"]).stem: e for e in entries}


def chrf(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return sacrebleu.sentence_chrf(hypothesis, [reference]).score


def dubs(targets: list[str]) -> None:
    """The workflow with re-voicing on and ``targets``: per-language fitting and round-trip figures."""
    import yaml

    from subvox.asr.wer import wer

    library = {s: e for s, e in clips().items() if e["language"] == "en"}
    with tempfile.TemporaryDirectory(prefix="subvox-bench-dubs-") as tmp:
        work = Path(tmp)
        for entry in library.values():
            (work / "media").mkdir(exist_ok=True)
            shutil.copyfile((REPO / "tests/data" / entry["file"]).resolve(), work / "media" / Path(entry["file"]).name)
        config = {
            "input_dir": str(work / "media"), "output_dir": str(work / "out"), "models_dir": str(work / "models"),
            "asr": {"model": "tiny.en"}, "translation": {"targets": targets},
            "revoice": {"enabled": True, "speaker": "robot", "qa": {"similarity": False}},
        }  # fmt: skip
        (work / "config.yaml").write_text(yaml.safe_dump(config))
        cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(REPO / "Snakefile"), "--directory", tmp,
               "--configfile", str(work / "config.yaml"), "--cores", "2"]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, text=True, check=True)
        print(f"\n== dubs ({len(library)} English clips, {sum(e['duration_s'] for e in library.values()):.0f} s; "
              f"workflow from scratch {time.perf_counter() - t0:.0f} s) ==")  # fmt: skip
        for log in sorted((work / "out/_subvox/logs/revoice").glob("*.log")):
            print("".join(f"  {line.split(' INFO ', 1)[1]}" for line in log.read_text().splitlines(True)
                          if " dub: " in line))  # fmt: skip
        print(f"{'language':<9} {'cues':>5} {'spoken/slots':>12} {'stretched':>9} {'borrowed s':>10} {'overflows':>9} "
              f"{'overflow s':>10} {'chars':>6} {'synth s':>7} {'round-trip WER':>14}")  # fmt: skip
        examples = []
        for lang in ["source", *targets]:
            suffix = "" if lang == "source" else f".{lang}"
            keys = ("cues", "spoken_s", "slots_s", "stretched", "borrowed_s", "overflows", "overflow_s", "synthesis_s")
            totals = dict.fromkeys(keys, 0.0)
            refs, heard, chars = [], [], 0
            for stem in library:
                qa = json.loads((work / f"out/_subvox/qa/{stem}.revoice{suffix}.json").read_text())
                cues = json.loads((work / f"out/{stem}{suffix if lang != 'source' else ''}.json").read_text())["cues"]
                for key in totals:
                    totals[key] += qa[key]
                text = " ".join(" ".join(c["lines"]) for c in cues)
                chars += len(text)
                refs.append(text)
                heard.append(qa.get("roundtrip_text", ""))
            code = "en" if lang == "source" else lang
            model = "tiny.en" if lang == "source" else "base"
            score = wer(" ".join(refs), " ".join(heard), code)
            demand = f"{totals['spoken_s']:.1f}/{totals['slots_s']:.1f}"
            print(f"{code:<9} {totals['cues']:>5.0f} {demand:>12} {totals['stretched']:>9.0f} "
                  f"{totals['borrowed_s']:>10.2f} {totals['overflows']:>9.0f} {totals['overflow_s']:>10.2f} "
                  f"{chars:>6} {totals['synthesis_s']:>7.2f} {score:>9.1%} ({model})")  # fmt: skip
            examples.append(f"  {code}: {refs[0]!r}\n  {'':<{len(code)}}  heard {heard[0]!r}")
        print("\n".join(examples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="apertium")
    parser.add_argument("--dubs", default="", help="comma-separated targets to dub through the workflow (e.g. es,ca)")
    args = parser.parse_args()
    if args.dubs:
        dubs(args.dubs.split(","))
        return
    engine = load(args.engine, {})
    library = clips()
    print(f"engine: {engine.describe()}")
    print("\n== against reference translations ==")
    print(f"{'clip':<20} {'pair':<7} {'chrF':>6}  translation")
    scores = []
    for stem, (target, reference) in REFERENCES.items():
        source = library[stem]["language"]
        if not engine.can(source, target):
            print(f"{stem:<20} {source}->{target:<4} {'n/a':>6}  (pair not installed)")
            continue
        [text] = engine.translate([library[stem]["reference_text"]], source, target)
        score = chrf(text, reference)
        scores.append(score)
        print(f"{stem:<20} {source}->{target:<4} {score:6.1f}  {text}")
    if scores:
        print(f"{'mean':<20} {'':<7} {sum(scores) / len(scores):6.1f}")
    print("\n== round trip (English reference -> X -> English) ==")
    english = {s: e["reference_text"] for s, e in library.items() if e["language"] == "en"}
    for pivot in ("es", "ca"):
        if not (engine.can("en", pivot) and engine.can(pivot, "en")):
            print(f"en->{pivot}->en: pair not installed")
            continue
        stems = sorted(english)
        there = engine.translate([english[s] for s in stems], "en", pivot)
        back = engine.translate(there, pivot, "en")
        per = [chrf(b, english[s]) for s, b in zip(stems, back, strict=True)]
        print(f"en->{pivot}->en over {len(stems)} clips: mean chrF {sum(per) / len(per):.1f} "
              f"(min {min(per):.1f}, max {max(per):.1f})")  # fmt: skip
        print(f"  e.g. {english[stems[0]]!r}\n    -> {there[0]!r}\n    -> {back[0]!r}")


if __name__ == "__main__":
    main()
