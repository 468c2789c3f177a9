"""CTranslate2 translation models from local folders: Marian (OPUS-MT), NLLB-200, M2M-100.

The quality engine for sites that have weights: a model converted once with CTranslate2's
converters (``ct2-transformers-converter --model Helsinki-NLP/opus-mt-en-de --output_dir
DIR --copy_files source.spm target.spm tokenizer_config.json vocab.json``), then copied to
the nodes. Nothing is downloaded: the folder must hold ``model.bin`` and a tokenizer,
either Hugging Face tokenizer files (``tokenizer_config.json``: Marian, NLLB and M2M-100
alike, loaded with ``local_files_only``) or Marian's bare ``source.spm``/``target.spm``.

``translation.models`` keys a folder by pair (``en-de``: a Marian model) or by target alone
(``de``: a many-to-many model, NLLB or M2M-100, reading any language its tokenizer knows).
Decoding is beam search without sampling, so a model gives the same text every run.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from subvox.errors import SubvoxError
from subvox.translate.base import Translator, UnsupportedPair

log = logging.getLogger("subvox")

# ISO 639-1 -> NLLB-200's FLORES-200 codes, for the languages subvox users ask for most.
NLLB = {
    "ar": "arb_Arab", "bg": "bul_Cyrl", "ca": "cat_Latn", "cs": "ces_Latn", "da": "dan_Latn", "de": "deu_Latn",
    "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn", "fi": "fin_Latn",
    "fr": "fra_Latn", "gl": "glg_Latn", "he": "heb_Hebr", "hi": "hin_Deva", "hu": "hun_Latn", "it": "ita_Latn",
    "ja": "jpn_Jpan", "ko": "kor_Hang", "nl": "nld_Latn", "pl": "pol_Latn", "pt": "por_Latn", "ro": "ron_Latn",
    "ru": "rus_Cyrl", "sv": "swe_Latn", "tr": "tur_Latn", "uk": "ukr_Cyrl", "vi": "vie_Latn", "zh": "zho_Hans",
}  # fmt: skip
MAX_BATCH = 32
MAX_TOKENS = 256  # a subtitle sentence never needs more; a looping model stops here


def check_model_folder(key: str, folder: str) -> None:
    """Fail in one line unless ``folder`` looks like a converted model with a tokenizer."""
    path = Path(folder)
    if not (path / "model.bin").is_file():
        raise SubvoxError(f"translation.models.{key}: {folder}: not a CTranslate2 model folder (no model.bin)")
    if not ((path / "tokenizer_config.json").is_file() or (path / "source.spm").is_file()):
        raise SubvoxError(
            f"translation.models.{key}: {folder}: no tokenizer (tokenizer_config.json or source.spm/target.spm)"
        )


class _Model:
    """One loaded folder: the CTranslate2 translator and its tokenizer."""

    def __init__(self, folder: str, device: str, compute_type: str, threads: int) -> None:
        import ctranslate2

        self.folder = folder
        self.translator = ctranslate2.Translator(
            folder, device=device, compute_type=compute_type, inter_threads=1, intra_threads=threads
        )
        path = Path(folder)
        self.hf: Any = None
        self.spm: tuple[Any, Any] | None = None
        if (path / "tokenizer_config.json").is_file():
            from transformers import AutoTokenizer

            self.hf = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.kind = type(self.hf).__name__.removesuffix("Fast").removesuffix("Tokenizer").lower()
        else:
            import sentencepiece

            self.spm = (
                sentencepiece.SentencePieceProcessor(model_file=str(path / "source.spm")),
                sentencepiece.SentencePieceProcessor(model_file=str(path / "target.spm")),
            )
            self.kind = "marian"
        config = path / "config.json"
        self.config_text = config.read_text(encoding="utf-8") if config.is_file() else "{}"

    def languages(self) -> set[str]:
        """Source languages a many-to-many tokenizer knows (ISO 639-1)."""
        if self.kind == "nllb":
            vocab = set(self.hf.get_vocab())
            return {k for k, v in NLLB.items() if v in vocab}
        if self.kind == "m2m100":
            return {c.strip("_") for c in getattr(self.hf, "additional_special_tokens", [])}
        return set()

    def encode(self, text: str, source: str) -> list[str]:
        if self.hf is None:
            return [*self.spm[0].encode(text, out_type=str), "</s>"]
        if self.kind in ("nllb", "m2m100"):
            self.hf.src_lang = NLLB.get(source, source) if self.kind == "nllb" else source
        return self.hf.convert_ids_to_tokens(self.hf.encode(text))

    def prefix(self, target: str) -> list[str] | None:
        if self.kind == "nllb":
            return [NLLB[target]]
        if self.kind == "m2m100":
            return [f"__{target}__"]
        return None

    def target_tokens(self, text: str, target: str) -> list[str]:
        """``text`` (already in ``target``) as the decoder's tokens, no special tokens: a forced prefix."""
        if self.hf is None:
            return self.spm[1].encode(text, out_type=str)
        if self.kind == "nllb":
            self.hf.tgt_lang = NLLB.get(target, target)
        elif self.kind == "m2m100":
            self.hf.tgt_lang = target
        ids = self.hf(text_target=text, add_special_tokens=False)["input_ids"]
        return self.hf.convert_ids_to_tokens(ids)

    def decode(self, tokens: list[str]) -> str:
        """Text of a hypothesis's tokens (those after its forced prefix)."""
        if self.hf is None:
            return self.spm[1].decode(tokens)
        return self.hf.decode(self.hf.convert_tokens_to_ids(tokens), skip_special_tokens=True)


class CTranslate2(Translator):
    """Local CTranslate2 models, loaded on first use (a batch with nothing to do loads none)."""

    engine = "ctranslate2"

    def __init__(
        self,
        models: dict[str, str],
        device: str = "cpu",
        compute_type: str = "default",
        beam_size: int = 4,
        threads: int = 1,
        context: int = 1,
    ) -> None:
        for key, folder in models.items():
            check_model_folder(key, folder)
        self.models = dict(models)
        self.device, self.compute_type, self.beam_size, self.threads = device, compute_type, beam_size, threads
        self.context = context
        self._loaded: dict[str, _Model] = {}

    def _get(self, key: str) -> _Model:
        if key not in self._loaded:
            device = self.device
            if device == "auto":
                import ctranslate2

                device = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
            self._loaded[key] = _Model(self.models[key], device, self.compute_type, self.threads)
            log.info("loaded ctranslate2 model %s (%s)", self.models[key], self._loaded[key].kind)
        return self._loaded[key]

    def available_pairs(self) -> list[tuple[str, str]]:
        pairs = set()
        for key in self.models:
            source, _, target = key.rpartition("-")
            pairs.add((source or "*", target))
        return sorted(pairs)

    def _key(self, source: str, target: str) -> str:
        """The ``models`` entry for a pair: the pair's own model, else the target's many-to-many one."""
        self.check(source, target)  # raises, listing what there is
        if f"{source}-{target}" in self.models:
            return f"{source}-{target}"
        model = self._get(target)
        if model.kind in ("nllb", "m2m100") and source not in model.languages():
            raise UnsupportedPair(f"ctranslate2 model {self.models[target]} ({model.kind}) cannot read {source}")
        return target

    def translate(self, sentences: Sequence[str], source: str, target: str) -> list[str]:
        """Each sentence alone, then (``context`` 1) again after the sentence before it.

        Sentence-level models take no context of their own, so the second pass gives the model
        the previous sentence and the current one as its source and forces the first pass's
        translation of the previous one as the start of the output: what the model writes after
        it is the current sentence translated in context (pronouns, gender and tense agree with
        the sentence before). A continuation that comes back empty keeps the first pass's text."""
        model = self._get(self._key(source, target))
        lang = model.prefix(target) or []
        clean = [" ".join(s.split()) for s in sentences]
        todo = [i for i, s in enumerate(clean) if s]
        out = [""] * len(clean)
        first = self._run(model, [(model.encode(clean[i], source), lang) for i in todo])
        for i, tokens in zip(todo, first, strict=True):
            out[i] = " ".join(model.decode(tokens).split())
        if not self.context or len(todo) < 2:
            return out
        pairs = []
        jobs = []
        for prev, i in itertools.pairwise(todo):
            forced = lang + model.target_tokens(out[prev], target)
            if len(forced) <= MAX_TOKENS:  # the limit below holds prefix and continuation
                pairs.append((prev, i))
                jobs.append((model.encode(f"{clean[prev]} {clean[i]}", source), forced))
        in_context = [" ".join(model.decode(tokens).split()) for tokens in self._run(model, jobs, 2 * MAX_TOKENS)]
        for (_, i), text in zip(pairs, in_context, strict=True):
            out[i] = text or out[i]
        return out

    def _run(self, model: _Model, jobs: list[tuple[list[str], list[str]]], limit: int = MAX_TOKENS) -> list[list[str]]:
        """Best hypothesis of each (source tokens, forced target prefix), without its prefix. One
        length ``limit`` (prefix included) for every job: a text never depends on its batch-mates."""
        if not jobs:
            return []
        results = model.translator.translate_batch(
            [src for src, _ in jobs],
            target_prefix=[prefix or None for _, prefix in jobs] if any(p for _, p in jobs) else None,
            beam_size=self.beam_size,
            max_batch_size=MAX_BATCH,
            max_decoding_length=limit,
        )
        return [r.hypotheses[0][len(prefix) :] for r, (_, prefix) in zip(results, jobs, strict=True)]

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "models": {k: {"name": os.path.basename(os.path.normpath(v)), "config": json.loads(self._config(k))}
                       for k, v in sorted(self.models.items())},
            "beam_size": self.beam_size,
            "context": self.context,
        }  # fmt: skip

    def _config(self, key: str) -> str:
        path = Path(self.models[key]) / "config.json"
        return path.read_text(encoding="utf-8") if path.is_file() else "{}"
