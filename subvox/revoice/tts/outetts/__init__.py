"""OuteTTS (outetts 0.4.4, Hugging Face backend): re-voice cues in a built-in or cloned voice.

Interface versions: 1 = OuteTTS-0.1/0.2 models (0.2-500M is the original one), 2 = 0.3 models,
3 = 1.0 models. Versions 1 and 2 use the WavTokenizer codec (75 tokens per second of audio), version 3
uses DAC (75 frames per second, two codebooks: 150 tokens per second). All audio is 24 kHz.

Everything is local: the language model, tokenizer and codec are paths (checked to exist, since
outetts downloads whatever is not), ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set, and a
cloned voice is built from subvox's own Whisper word timings instead of ``Interface.create_speaker``
(which downloads torchaudio's MMS aligner and Whisper turbo).

outetts 0.4.4 quirks handled here:

* ``import outetts`` needs ``llama_cpp`` even for the HF backend; when llama-cpp-python is not
  installed (it compiles for minutes) a placeholder module stands in while outetts imports.
* V2's ``Interface.prepare_prompt`` passes the speaker positionally into ``get_completion_prompt``'s
  *emotion* slot, so the voice is silently lost; subvox builds the prompt itself with ``speaker=``
  and checks that the speaker's audio codes are in it.
* V3's ``get_completion_prompt`` appends a separator to the speaker's last word on every call; it
  gets a copy.
* ``torchaudio.load`` needs torchcodec since torchaudio 2.9; audio is read with soundfile instead.
* 0.4.4 ships a built-in voice only for V3 (``en-female-1-neutral``). The V1 and V2 speakers of
  outetts 0.3.3 (Apache-2.0, OuteAI) are shipped with subvox in ``outetts_voices/`` (origin in its
  NOTICE): V1 ``en_male_1``..``en_male_4``, ``en_female_1``, ``en_female_2`` and ja/ko/zh ones (the
  0.2-500M model's), V2 ``en_male_1``..``en_male_3``, ``en_female_1`` and de/fr/jp/ko/zh ones (the
  0.3 models'). A name without a language prefix is English, as in 0.3.3's default language:
  ``male_1`` = ``en_male_1``. Their profiles carry the speaker itself (self-contained JSON).
* 0.4.4's V1 text normaliser runs MeCab word segmentation on every language (0.3.3: only on
  ja/ko/zh), which splits contractions (``it's``: ``it``, ``s``; 0.3.3's speaker word is ``its``), so
  the prompt's text and audio words would disagree for some 0.3.3 speakers; a V1 speaker whose
  transcript does not normalise to its own words is given its words as transcript.
"""

from subvox.revoice.tts.outetts.install import import_outetts
from subvox.revoice.tts.outetts.voice import OuteTTSVoice, load_voice, prompt_codes, speaker_codes
from subvox.revoice.tts.outetts.voices import VOICES_DIR, build_profile, list_voices

__all__ = [
    "VOICES_DIR",
    "OuteTTSVoice",
    "build_profile",
    "import_outetts",
    "list_voices",
    "load_voice",
    "prompt_codes",
    "speaker_codes",
]
