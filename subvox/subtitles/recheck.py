"""A second opinion for the files of a batch whose first transcript is in doubt.

After the first pass (subvox.subtitles.job), two kinds of file are held back instead of written
(the rules are in subvox.asr.routing):
* an English-only model's transcript whose words it was unsure of: the multilingual
  ``asr.routing.model`` is asked which languages the file holds (the doubted stretches always
  among the windows it classifies); any non-English region sends the whole file to that model,
  each region in its own language (``route``), or is marked "not transcribed" (``flag``);
* a detection too weak to trust (little speech, low probability): the file is transcribed
  again in the library's language (the configured prior, else its folder's).
Held-back files are decoded again together, in shared batches, once the first pass is over.
Every file's transcript says what was decided (``language_decision``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from subvox.asr import DecodeOptions, ModelSpec, Transcript
from subvox.asr.guards import GuardOptions
from subvox.asr.pieces import SAMPLE_RATE, LanguageOptions, Window, detect_regions, speech_windows
from subvox.asr.routing import (
    ENGLISH,
    RouteOptions,
    doubtful,
    doubtful_spans,
    drop_regions,
    non_english,
    prior_for,
    region_summary,
    routing_applies,
    speech_seconds,
    uncertain,
    word_probability,
)
from subvox.asr.transcribe import FileRequest, transcribe_files
from subvox.library.atomic import read_json
from subvox.library.layout import Item, Layout, made_from
from subvox.media.ffmpeg import as_float
from subvox.media.prepare import prepare_one

log = logging.getLogger("subvox")


@dataclass
class Outcome:
    """A file's final transcripts, the model that made them and what was decided."""

    item: Item
    transcripts: list[Transcript]
    model: ModelSpec
    decision: dict[str, Any]
    seconds: float = 0.0
    error: BaseException | None = None


@dataclass
class _Held:
    item: Item
    first: list[Transcript]
    seconds: float
    decision: dict[str, Any] = field(default_factory=dict)
    english_only: bool = False  # the first pass is an English-only model's: the routing model listens
    regions: list[Window] | None = None  # what the routing model heard
    unsure: bool = False  # it heard one language, too briefly or too weakly to trust
    failed: bool = False


class Recheck:
    """Judges first-pass transcripts (``judge``) and transcribes the held-back files again (``run``).

    Each file lends its folder at most one language (``language_decision.evidence``): a sure
    detection, or English from an English-only model that was sure of its words. Files of an
    earlier run lend theirs from their JSON, so a resumed batch decides as a fresh one does.
    """

    def __init__(self, layout: Layout, config: dict[str, Any], model: ModelSpec, route_model: ModelSpec | None):
        self.layout, self.config, self.asr = layout, config, config["asr"]
        self.model, self.route_model = model, route_model
        self.lang_opts = LanguageOptions.from_config(self.asr)
        self.route = RouteOptions.from_config(self.asr)
        self.held: list[_Held] = []
        self.evidence: dict[str, str | None] = {}  # relpath -> the language the file lends its folder

    def judge(self, item: Item, transcripts: list[Transcript], seconds: float, english_only: bool) -> dict | None:
        """The decision to record with a first-pass transcript, or None when the file is held back."""
        first = transcripts[0]
        speech = speech_seconds(first)
        decision: dict[str, Any] = {"checked": False, "model": self.model.name}
        if english_only:  # it writes English whatever it hears; routing (when on) checks the doubtful
            if routing_applies(self.asr, english_only) and self.route_model is not None:
                probability = word_probability(first.segments)
                decision["word_probability"] = None if probability is None else round(probability, 4)
                if doubtful(first, self.route):
                    self.held.append(
                        _Held(item, transcripts, seconds, {**decision, "checked": True}, english_only=True)
                    )
                    return None
            return self._lend(item, decision, ENGLISH if speech >= self.lang_opts.min_speech_s else None)
        if self.asr.get("language", "auto") != "auto" or not first.segments:
            return self._lend(item, decision, None)
        unsure = uncertain(first.language_probability, speech, self.lang_opts)
        if unsure and len(first.languages) <= 1:
            self.held.append(_Held(item, transcripts, seconds, {**decision, "checked": True}))
            return None
        return self._lend(item, decision, None if unsure else first.language)

    def _lend(self, item: Item, decision: dict[str, Any], language: str | None) -> dict[str, Any]:
        self.evidence[item.relpath] = decision["evidence"] = language
        return decision

    def run(self, batch: list[Item], tmpdir: str) -> Iterator[Outcome]:
        """The held-back files' final transcripts, one ``Outcome`` each (failures included).

        First every held file's languages are heard (so all of them lend their evidence),
        then each is decided, and the files to transcribe again are decoded in shared batches.
        """
        if not self.held:
            return
        self._cached_evidence(batch)
        for held in self.held:
            try:
                self._hear(held, tmpdir)
            except Exception as exc:  # one file must never cost the others their results
                held.failed = True
                yield Outcome(held.item, [], self.model, held.decision, error=exc)
        again: dict[str, list[tuple[_Held, str | None, list[Window] | None]]] = {"route": [], "prior": []}
        for held in self.held:
            if held.failed:
                continue
            try:
                outcome = self._decide(held, again)
            except Exception as exc:  # one file must never cost the others their results
                outcome = Outcome(held.item, [], self.model, held.decision, error=exc)
            if outcome is not None:
                yield outcome
        for kind, spec in (("route", self.route_model), ("prior", self.model)):
            if again[kind] and spec is not None:
                yield from self._transcribe(again[kind], spec, tmpdir)

    def _hear(self, held: _Held, tmpdir: str) -> None:
        """The languages of a held file: for an English-only first pass, as the routing model hears them."""
        decision, first = held.decision, held.first[0]
        if not held.english_only or self.route_model is None:
            self._lend(held.item, decision, None)  # an uncertain detection is no evidence
            return
        audio = prepare_one(held.item, self.layout, self.config["audio"], tmpdir, self.config.get("separation"))
        decode = DecodeOptions.from_config(self.asr)
        focus = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in doubtful_spans(first.segments, self.route)]
        model, chunk_s = self.route_model.get(), self.asr["chunk_s"]
        held.regions = detect_regions(model, audio, decode, self.lang_opts, chunk_s, focus)
        # how much speech the language was heard in (regions span pauses too): the first pass's
        # segments, or for a file it heard no word in (short: see routing.doubtful) Silero's speech
        heard = speech_seconds(first)
        if not first.segments:
            heard = sum(w.end - w.start for w in speech_windows(as_float(audio[:]), self.lang_opts, decode))
            heard /= SAMPLE_RATE
        del audio
        decision["detected"] = region_summary(held.regions, SAMPLE_RATE)
        sure = [r for r in held.regions if r.language]
        main = max(sure, key=lambda r: r.end - r.start, default=None)
        unsure = main is None or uncertain(main.probability, heard, self.lang_opts)
        self._lend(held.item, decision, None if unsure else main.language)
        held.unsure = len(sure) == 1 and unsure

    def _decide(self, held: _Held, again: dict[str, list]) -> Outcome | None:
        """``held``'s outcome now (its first pass kept, or flagged), or None when queued in ``again``."""
        first, decision = held.first[0], held.decision
        prior, why = prior_for(held.item.relpath, self.evidence, self.lang_opts)
        if held.regions is None:  # a multilingual model's uncertain detection
            if prior is None or prior == first.language:
                decision.update(decision="kept", prior={"language": prior, "why": why})
                return Outcome(held.item, held.first, self.model, decision, held.seconds)
            speech = speech_seconds(first)
            decision.update(
                decision="prior",
                prior={"language": prior, "why": why, "instead_of": first.language},
                note=f"language {prior} from {why} (detected {first.language} on {speech:.1f} s of speech)",
            )
            again["prior"].append((held, prior, None))
            return None
        regions, language = held.regions, None
        if held.unsure and prior:  # one short or unsure region: the library's language, not a guess
            [sure] = [r for r in regions if r.language]
            decision["prior"] = {"language": prior, "why": why, "instead_of": sure.language}
            language, regions = prior, [dataclasses.replace(sure, language=prior)]
        others = non_english(regions)
        if not others:
            decision["decision"] = "kept"
            return Outcome(held.item, held.first, self.model, decision, held.seconds)
        langs = ", ".join(sorted({r.language for r in others}))
        if self.route.mode == "flag":
            decision.update(decision="flagged", note=f"not transcribed: language {langs}, model is English-only")
            kept = drop_regions(first, others, SAMPLE_RATE)
            return Outcome(held.item, [kept, *held.first[1:]], self.model, decision, held.seconds)
        assert self.route_model is not None
        note = f"transcribed by {self.route_model.name}: language {langs} ({self.model.name} is English-only)"
        if language:
            note += f"; {language} from {why}, detected {decision['prior']['instead_of']}"
        decision.update(decision="routed", model=self.route_model.name, note=note)
        again["route"].append((held, language, None if language else regions))
        return None

    def _transcribe(self, queued: list[tuple[Any, ...]], spec: ModelSpec, tmpdir: str) -> Iterator[Outcome]:
        """Decode the queued files again with ``spec``, in shared batches; audio is prepared as the batches need it."""

        def requests() -> Iterator[FileRequest]:
            for held, language, regions in queued:
                try:
                    audio = prepare_one(
                        held.item, self.layout, self.config["audio"], tmpdir, self.config.get("separation")
                    )
                    yield self._request(held, audio, language, regions)
                except Exception as exc:
                    yield FileRequest(held, error=exc)

        batch_size = DecodeOptions.from_config(self.asr).batch_size
        try:
            model = spec.get()
        except Exception as exc:  # e.g. the routing model missing on this node: these files fail, no others
            for held, *_ in queued:
                yield Outcome(held.item, [], spec, held.decision, error=exc)
            return
        for done in transcribe_files(model, requests(), batch_size):
            held: _Held = done.key
            yield Outcome(held.item, done.transcripts, spec, held.decision, held.seconds + done.seconds, done.error)

    def _request(self, held: _Held, audio: Any, language: str | None, regions: list[Window] | None) -> FileRequest:
        """A file's second decoding: the first pass's options, in ``language``, or in the ``regions``
        the check heard (each within one chunk: memory stays flat), where the stretches the first
        pass doubted were classified (a plain detection could miss a short switch)."""
        decode = dataclasses.replace(DecodeOptions.from_config(self.asr), task="transcribe", language=language)
        then = dataclasses.replace(decode, task="translate") if len(held.first) > 1 else None
        guards = GuardOptions.from_config(self.asr)
        return FileRequest(held, audio, decode, guards, self.lang_opts, self.asr["chunk_s"], regions, then)

    def _cached_evidence(self, batch: list[Item]) -> None:
        """What the batch's files transcribed by an earlier run lend their folder (from their JSON)."""
        held = {h.item.relpath for h in self.held}
        for item in batch:
            if item.relpath in self.evidence or item.relpath in held:
                continue
            path = self.layout.transcript(item.stem)
            if made_from(path, item.media):
                try:
                    self.evidence[item.relpath] = read_json(path).get("language_decision", {}).get("evidence")
                except (OSError, ValueError):  # unreadable: it lends nothing (it is redone by its own job)
                    self.evidence[item.relpath] = None
