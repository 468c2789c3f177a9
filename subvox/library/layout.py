"""Per-file bookkeeping for whole libraries, and the batches that carry the work.

Snakemake builds a job for every declared output: a naive four-rules-per-file layout
needs ~37 s and ~600 MB just to plan 10,000 files. subvox therefore hands Snakemake
one job per *batch* of pending files (a model is loaded once per batch) and keeps the
per-file bookkeeping itself, at the cost of a few ``stat`` calls per file:

* a file is *done* when its done-marker for the current configuration fingerprint
  exists, is newer than the media file, and every output is present;
* everything else is *pending* and goes into a batch; a batch's key hashes its members
  and the fingerprint, so adding one file makes one new batch and redoes nothing;
* a configuration change gives a new fingerprint, so every file is redone once;
  transcripts are kept per ASR fingerprint, so a subtitle-only change re-renders
  subtitles without transcribing again;
* with re-voicing on, a file is done only when its dub is current too (its own marker,
  under the ``dub`` fingerprint), so changing the speaker redoes dubs, not subtitles;
* likewise with ``translation.targets``: its own marker under the ``translation`` fingerprint;
  a dub in a target language has its own marker per language (``subvox.library.targets``), and a
  muxed video one for the set of tracks it carries.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subvox import __version__
from subvox.library import targets
from subvox.library.atomic import write_text
from subvox.library.discover import WORK_DIRNAME
from subvox.library.targets import digest
from subvox.models.store import sha256_file

# Containers whose dub is also muxed as an extra audio track (video stream copied untouched).
VIDEO_CONTAINERS = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
PER_SPEAKER = "per-speaker"  # revoice.speaker: a voice per diarized speaker


@dataclass(frozen=True)
class Fingerprints:
    """Hashes of everything that shapes a transcript (``asr``), the speaker turns (``speakers``;
    empty when diarization is off), the subtitles (``subs``) and, when re-voicing is on, the
    dub (``dub``; empty when off)."""

    asr: str
    subs: str
    dub: str = ""
    speakers: str = ""
    translation: str = ""  # empty when translation.targets is empty
    target_dubs: tuple[tuple[str, str], ...] = ()  # (language, fingerprint) of each dubbed target

    @property
    def plan(self) -> str:
        """The fingerprint batches are keyed by: the last stage that runs (and translation's)."""
        last = self.dub or self.subs
        return digest([last, self.translation, *self.target_dubs]) if self.translation else last

    @property
    def mux(self) -> str:
        """What a muxed video carries: the source dub and each target's."""
        return digest([self.dub, *self.target_dubs]) if self.target_dubs else self.dub


RENDERING = ("formats", "speaker_labels", "sidecar")  # subtitle options that change how cues are written only


def fingerprints(config: dict[str, Any], model_identity: dict[str, Any]) -> Fingerprints:
    """Fingerprints of the configuration sections that change outputs (not resources or paths)."""
    asr_conf = {k: v for k, v in config["asr"].items() if k not in ("download_root",)}
    asr = digest({"subvox": __version__, "audio": _audio(config), "asr": asr_conf, "model": model_identity})
    speakers = _speakers_digest(config)
    # options that shape nothing while their stage is off stay out, so adding them changed no fingerprint
    subtitles = {k: v for k, v in config["subtitles"].items() if speakers or k != "speaker_labels"}
    subs = digest({"asr": asr, "subtitles": subtitles, **({"speakers": speakers} if speakers else {})})
    # which cues, not how they are written: what translations and dubs are made from
    shaping = {k: v for k, v in subtitles.items() if k not in RENDERING}
    cues = digest({"asr": asr, "cues": shaping, **({"speakers": speakers} if speakers else {})})
    translation = _translation_digest(config, cues, subtitles.get("speaker_labels"))
    revoice = config.get("revoice", {})
    if not revoice.get("enabled"):
        return Fingerprints(asr, subs, speakers=speakers, translation=translation)
    drop = ("targets",) if revoice["speaker"] == PER_SPEAKER else ("targets", "voices", "default_voices")
    revoice = {k: v for k, v in revoice.items() if k not in drop}  # target dubs: their own fingerprints
    voices = [config["speakers"][k] for k in voice_keys(revoice)]
    dub = digest(
        {"cues": cues, "revoice": revoice, "speaker": voices[0] if len(voices) == 1 else voices,
         **({"separation": config.get("separation")} if revoice["mix"] == "background" else {}),
         "reference": [_file_digest(v) for v in voices] if len(voices) > 1 else _file_digest(voices[0])}
    )  # fmt: skip
    return Fingerprints(asr, subs, dub, speakers, translation, targets.dub_fingerprints(config, cues, model_identity))


def _translation_digest(config: dict[str, Any], cues: str, labels: str | None) -> str:
    """What shapes the translated subtitles: the cues, how speakers are labelled (the translated
    SRT carries them), the ``translation`` options and the identity of each local model (empty
    when no target is set)."""
    conf = config.get("translation") or {}
    if not conf.get("targets"):
        return ""
    conf = {k: v for k, v in conf.items() if k != "resources"}
    models = {k: model_identity(v) for k, v in sorted(conf.get("models", {}).items())}
    return digest({"cues": cues, "labels": labels, "translation": conf, "models": models})


def voice_keys(revoice: dict[str, Any]) -> list[str]:
    """The ``speakers`` entries a dub may use (their profiles are built before any dub)."""
    if revoice["speaker"] != PER_SPEAKER:
        return [revoice["speaker"]]
    return sorted({*revoice.get("voices", {}).values(), *revoice.get("default_voices", [])})


def _speakers_digest(config: dict[str, Any]) -> str:
    """What shapes the speaker turns: audio, diarization options, enrolled clips' contents."""
    conf = config.get("diarization", {})
    if not conf.get("enabled"):
        return ""
    enrolled = {name: [_content_digest(c) for c in clips] for name, clips in sorted(conf.get("enroll", {}).items())}
    if conf.get("enhance_mix") is None or config["audio"].get("enhance", "off") == "off":
        conf = {k: v for k, v in conf.items() if k != "enhance_mix"}  # no effect: no new fingerprint
    return digest({"subvox": __version__, "audio": _audio(config), "diarization": conf, "enrolled": enrolled})


def _audio(config: dict[str, Any]) -> dict[str, Any]:
    """What shapes the audio the models hear; the enhancement options only while it is on (then
    the separation options too when it uses the separated voice), so adding them changed no
    fingerprint."""
    off = config["audio"].get("enhance", "off") == "off"
    audio = {k: v for k, v in config["audio"].items() if not (off and k.startswith("enhance"))}
    return {**audio, "separation": config.get("separation")} if audio.get("enhance") == "vocals" else audio


def _file_digest(speaker: dict[str, Any]) -> str | None:
    """Content hash of a speaker's reference clip: a re-recorded clip redoes the dubs,
    a copied or touched one does not."""
    ref = speaker.get("reference")
    return _content_digest(ref) if ref else None


def _content_digest(path: str) -> str | None:
    try:
        return sha256_file(path)[:12]
    except OSError:
        return None


def model_identity(model: str) -> dict[str, Any]:
    """Identity of the configured model for fingerprints: the same before and after staging
    or copying (no mtimes). A named model is its name; a local folder or checkpoint adds the
    size of its weights and the text of its config."""
    p = Path(model)
    if not (os.sep in model or p.exists()):
        return {"name": model}
    weights = p / "model.bin" if p.is_dir() else p
    identity: dict[str, Any] = {"name": p.name}
    with contextlib.suppress(OSError):
        identity["size"] = weights.stat().st_size
    with contextlib.suppress(OSError):
        identity["config"] = hashlib.sha256((p / "config.json").read_bytes()).hexdigest()[:12]
    return identity


@dataclass(frozen=True)
class Item:
    """One file of a batch."""

    stem: str
    media: str  # path to the media file
    relpath: str  # path relative to input_dir, as recorded in outputs


@dataclass(frozen=True)
class Layout:
    """Where every per-file file lives for one output folder and configuration."""

    out: str
    fingerprints: Fingerprints
    formats: tuple[str, ...]
    translate: bool
    revoice: bool = False
    diarize: bool = False
    targets: tuple[str, ...] = ()  # translation.targets

    @property
    def work(self) -> str:
        return f"{self.out}/{WORK_DIRNAME}"

    def outputs(self, stem: str) -> dict[str, str]:
        paths = {fmt: f"{self.out}/{stem}.{fmt}" for fmt in self.formats}
        if self.translate:
            paths.update(en_srt=f"{self.out}/{stem}.en.srt", en_vtt=f"{self.out}/{stem}.en.vtt")
        if self.diarize:
            paths["rttm"] = f"{self.out}/{stem}.rttm"
        return paths

    def probe(self, stem: str) -> str:
        return f"{self.work}/probe/{stem}.json"

    def transcript(self, stem: str) -> str:
        return f"{self.work}/transcripts/{self.fingerprints.asr}/{stem}.json"

    def speakers(self, stem: str) -> str:
        """Speaker turns of the file (kept per diarization fingerprint, like transcripts)."""
        return f"{self.work}/diarization/{self.fingerprints.speakers}/{stem}.json"

    def translation(self, stem: str) -> str:
        return f"{self.work}/transcripts/{self.fingerprints.asr}/{stem}.translation.json"

    def qa(self, stem: str) -> str:
        return f"{self.work}/qa/{stem}.json"

    def timing(self, stem: str) -> str:
        """Measured times of the last transcription (kept apart: outputs stay byte-identical)."""
        return f"{self.work}/timing/{stem}.json"

    def done_marker(self, stem: str) -> str:
        return f"{self.work}/done/{self.fingerprints.subs}/{stem}.done"

    def dub_outputs(self, stem: str, media: str) -> dict[str, str]:
        """The dub (``wav``) and, for a video container, the muxed copy (``video``)."""
        paths = {"wav": f"{self.out}/{stem}.revoiced.wav"}
        paths.update({f"wav.{t}": f"{self.out}/{stem}.revoiced.{t}.wav" for t, _ in self.fingerprints.target_dubs})
        ext = os.path.splitext(media)[1].lower()
        if ext in VIDEO_CONTAINERS:
            paths["video"] = f"{self.out}/{stem}.revoiced{ext}"
        return paths

    def dub_qa(self, stem: str) -> str:
        return f"{self.work}/qa/{stem}.revoice.json"

    def dub_marker(self, stem: str, lang: str | None = None) -> str:
        """The source dub's marker; with ``lang``, that target's dub's; with ``video``, the muxed video's."""
        fp = dict(self.fingerprints.target_dubs, video=self.fingerprints.mux).get(lang, self.fingerprints.dub)
        return f"{self.work}/done-revoice{'-' + lang if lang else ''}/{fp}/{stem}.done"

    def translated_outputs(self, stem: str) -> dict[str, dict[str, str]]:
        """Per target language: ``OUT/<stem>.<lang>.srt``, ``.vtt`` and ``.json``."""
        return {
            lang: {fmt: f"{self.out}/{stem}.{lang}.{fmt}" for fmt in ("srt", "vtt", "json")} for lang in self.targets
        }

    def translation_marker(self, stem: str) -> str:
        return f"{self.work}/done-translate/{self.fingerprints.translation}/{stem}.done"


def layout_for(config: dict[str, Any]) -> Layout:
    """The layout (paths and fingerprints) of a validated config."""
    return Layout(
        os.path.normpath(config["output_dir"]),
        fingerprints(config, model_identity(config["asr"]["model"])),
        tuple(config["subtitles"]["formats"]),
        config["asr"]["task"] == "translate",
        bool(config.get("revoice", {}).get("enabled")),
        bool(config.get("diarization", {}).get("enabled")),
        tuple((config.get("translation") or {}).get("targets", [])),
    )


def stamp(path: str, media: str) -> None:
    """Give ``path`` the media file's mtime: "made from this media" is then an exact equality,
    which also catches a media file replaced by an older one (``cp -p``, ``rsync -a``)."""
    st = os.stat(media)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def made_from(path: str, media: str) -> bool:
    """``path`` carries the current media file's stamp (see ``stamp``)."""
    try:
        return os.stat(path).st_mtime_ns == os.stat(media).st_mtime_ns
    except OSError:
        return False


def _mark(path: str, stem: str, media: str) -> None:
    """Write the marker ``path`` (``<kind>/<fingerprint>/<stem>.done``) stamped with ``media``;
    drop the file's markers of other configurations, so returning to an earlier setting
    redoes the work instead of trusting an old marker."""
    kind_dir = os.path.dirname(path.removesuffix(f"/{stem}.done"))
    for other in glob.glob(f"{glob.escape(kind_dir)}/*/{glob.escape(stem)}.done"):
        if os.path.normpath(other) != os.path.normpath(path):
            with contextlib.suppress(OSError):
                os.unlink(other)
    write_text(path, "")
    stamp(path, media)


def mark_done(layout: Layout, stem: str, media: str) -> None:
    """Record that ``stem`` has current subtitles for this configuration."""
    _mark(layout.done_marker(stem), stem, media)


def mark_dubbed(layout: Layout, stem: str, media: str, lang: str | None = None) -> None:
    """Record that ``stem`` has a current dub (in ``lang``; ``video``: the muxed video) for this configuration."""
    _mark(layout.dub_marker(stem, lang), stem, media)


def mark_translated(layout: Layout, stem: str, media: str) -> None:
    """Record that ``stem`` has current translated subtitles for every target."""
    _mark(layout.translation_marker(stem), stem, media)


def translations_done(layout: Layout, stem: str, media: str) -> bool:
    """True when ``stem`` has current translated subtitles (or no target is set)."""
    if not layout.targets:
        return True
    return made_from(layout.translation_marker(stem), media) and all(
        os.path.exists(p) for paths in layout.translated_outputs(stem).values() for p in paths.values()
    )


def subs_done(layout: Layout, stem: str, media: str) -> bool:
    """True when ``stem`` has current subtitles for this configuration and this media file."""
    return made_from(layout.done_marker(stem), media) and all(os.path.exists(p) for p in layout.outputs(stem).values())


def dub_done(layout: Layout, stem: str, media: str) -> bool:
    """True when ``stem`` has a current dub (and muxed video) for this configuration."""
    outputs = layout.dub_outputs(stem, media)
    parts = [None, *dict(layout.fingerprints.target_dubs), *(["video"] if "video" in outputs else [])]
    current = all(made_from(layout.dub_marker(stem, p), media) for p in parts)
    return current and all(map(os.path.exists, outputs.values()))


def markers(layout: Layout, stem: str) -> list[str]:
    """Every done-marker ``stem`` can have under this configuration."""
    dubs = [layout.dub_marker(stem, lang) for lang in ("video", *dict(layout.fingerprints.target_dubs))]
    return [layout.done_marker(stem), layout.dub_marker(stem), layout.translation_marker(stem), *dubs]


def forget_done(layout: Layout, stem: str) -> None:
    """Drop ``stem``'s done-markers: its media changed while a job may have been reading it,
    so whatever was made is not trusted and the next run redoes the file."""
    for path in markers(layout, stem):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def is_done(layout: Layout, stem: str, media: str) -> bool:
    """True when every stage the configuration asks for is current for ``stem``."""
    return (
        subs_done(layout, stem, media)
        and (not layout.revoice or dub_done(layout, stem, media))
        and translations_done(layout, stem, media)
    )


def plan_batches(stems: list[str], pending: set[str], fp: Fingerprints, batch_size: int) -> tuple[dict, list]:
    """Split the library into fixed batches; return all of them and the keys that have work.

    Batches are consecutive runs of the sorted library, so adding a file shifts only the
    batches after it. Only batches with a pending file are requested (the main process
    freezes them, see ``plan``: jobs never re-plan); inside a job, files that are already
    done are skipped.
    """
    batches: dict[str, list[str]] = {}
    requested = []
    ordered = sorted(stems)
    for i in range(0, len(ordered), batch_size):
        members = ordered[i : i + batch_size]
        key = hashlib.sha256("\n".join([fp.plan, *members]).encode()).hexdigest()[:16]
        batches[key] = members
        if any(m in pending for m in members):
            requested.append(key)
    return batches, requested


def batch_marker(layout: Layout, batch: str) -> str:
    """The batch job's declared output (its per-file results), one per run of the batch."""
    return f"{layout.work}/batches/{batch}.json"


def speakers_marker(layout: Layout, batch: str) -> str:
    """The diarization job's declared output for a batch."""
    return f"{layout.work}/speaker_batches/{batch}.json"


def revoice_marker(layout: Layout, batch: str) -> str:
    """The re-voicing job's declared output for a batch."""
    return f"{layout.work}/revoice_batches/{batch}.json"


def translate_marker(layout: Layout, batch: str) -> str:
    """The translation job's declared output for a batch."""
    return f"{layout.work}/translate_batches/{batch}.json"


def forget_batch(layout: Layout, batch: str) -> None:
    """Remove the batch markers left by an earlier run, so that the batch runs again."""
    markers = (batch_marker, revoice_marker, speakers_marker, translate_marker)
    for path in (marker(layout, batch) for marker in markers):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def batch_results_path(layout: Layout, batch: str) -> str:
    """Per-file results of the last run of a batch (read for the end-of-run account)."""
    return f"{layout.work}/batch_results/{batch}.json"
