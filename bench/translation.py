"""Translation quality of the offline engine (Apertium), in chrF (sacrebleu), on real clips.

    .venv/bin/python bench/translation.py [--engine apertium]

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

Pairs that are not installed are reported, not skipped silently.
"""

from __future__ import annotations

import argparse
import json
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="apertium")
    args = parser.parse_args()
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
