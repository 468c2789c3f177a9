"""Tiny, randomly initialised OuteTTS models of the real architectures, built at test time.

Nothing is downloaded: the LLM is a 2-layer Qwen2 (interface V1/V2, like OuteTTS-0.2/0.3-500M) or
Llama (V3, like Llama-OuteTTS-1.0-1B) with a byte-level tokenizer that holds every special token
the outetts 0.4.4 prompt processors use (outetts ships no tokenizer); the audio codec is a
WavTokenizer (V1/V2: the real encoder layout with a randomised, already-initialised codebook and a
small Vocos decoder) or a small DAC (V3), saved in the folder layouts outetts loads.

The voices these models make are noise: they exercise the plumbing (real ``outetts.Interface``,
prompt building, generation, codec decoding), not voice quality.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch

HIDDEN = 64
TIME_STEPS = 2001  # <|t_0.00|> .. <|t_20.00|>


def _import_outetts() -> Any:
    from subvox.revoice.tts.outetts import import_outetts

    return import_outetts()


def _tokens(version: int) -> tuple[list[str], list[str]]:
    """(special tokens, added plain tokens) the interface's prompt processor expects."""
    _import_outetts()
    times = [f"<|t_{i / 100:.2f}|>" for i in range(TIME_STEPS)]
    specials = [
        "<|endoftext|>",
        "<|im_start|>",
        "<|im_end|>",
        "<|text_start|>",
        "<|text_end|>",
        "<|audio_start|>",
        "<|audio_end|>",
    ]
    if version == 1:
        extra = ["<|text_sep|>", "<|code_start|>", "<|code_end|>"]
        added = extra + times + [f"<|{i}|>" for i in range(4100)]
    elif version == 2:
        from outetts.version.v2.tokens import SpecialTokens

        st = SpecialTokens()
        extra = [
            st.text_sep,
            st.space,
            st.syllable_sep,
            st.voice_characteristic_start,
            st.voice_characteristic_end,
            st.emotion_start,
            st.emotion_end,
            *dict.fromkeys(st.punctuation_tokens.values()),
        ]
        added = extra + times + [f"<|{i}|>" for i in range(4100)]
    elif version == 3:
        from outetts.version.v3.tokens import SpecialTokens

        st = SpecialTokens()
        extra = [
            st.code,
            st.word_start,
            st.word_end,
            st.features,
            st.global_features_start,
            st.global_features_end,
            st.voice_characteristic_start,
            st.voice_characteristic_end,
            st.emotion_start,
            st.emotion_end,
        ]
        features = [f"<|{name}_{v}|>" for name in ("energy", "spectral_centroid", "pitch") for v in range(101)]
        codes = [f"<|c{book}_{i}|>" for book in (1, 2) for i in range(1025)]
        added = extra + times + features + codes
    else:
        raise ValueError(version)
    return specials, added


def make_tokenizer(folder: Path, version: int) -> Any:
    """A byte-level BPE (256 byte tokens, no merges) plus OuteTTS's special and audio tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials, added = _tokens(version)
    tok.add_special_tokens(specials)
    tok.add_tokens(added)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|endoftext|>"
    )
    fast.save_pretrained(folder)
    return fast


def make_llm(folder: Path, version: int, seed: int = 0) -> None:
    """Tokenizer and a 2-layer causal LM of the real family, saved with ``save_pretrained``."""
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    folder.mkdir(parents=True, exist_ok=True)
    tok = make_tokenizer(folder, version)
    vocab = (len(tok) + 63) // 64 * 64
    common: dict[str, Any] = {
        "vocab_size": vocab,
        "hidden_size": HIDDEN,
        "intermediate_size": 2 * HIDDEN,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 8192 if version == 3 else 4096,
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
        "tie_word_embeddings": False,
    }
    config = LlamaConfig(**common) if version == 3 else Qwen2Config(**common)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    # Random weights would mostly pick text tokens; make the head score audio tokens only, so that
    # every generated token is an audio code (and generation runs to max_length: the eos never wins).
    audio = re.compile(r"<\|(\d+|c[12]_\d+)\|>")
    ids = [i for token, i in tok.get_vocab().items() if audio.fullmatch(token)]
    with torch.no_grad():
        head = torch.zeros_like(model.lm_head.weight)
        head[ids] = torch.randn(len(ids), HIDDEN) * 0.1
        model.lm_head.weight.copy_(head)
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(folder)


def make_wavtokenizer(folder: Path, seed: int = 0) -> None:
    """WavTokenizer (75 tokens/s at 24 kHz) in outetts's layout: encoder/ and decoder/ with config + weights.

    The encoder is the real EncodecFeatures/SEANet architecture (it is not configurable) with a random
    4096-entry codebook marked initialised (``inited = 1``; otherwise encoding runs k-means and hangs);
    the decoder is a 1-layer Vocos backbone with a 4096-row codebook (the real size: outetts maps 4100
    audio tokens, the engine bans the 4 the codec cannot decode).
    """
    _import_outetts()
    from outetts.wav_tokenizer.model import WavDecoder, WavEncoder

    torch.manual_seed(seed)
    enc_cfg = {
        "feature_extractor_class": "decoder.feature_extractors.EncodecFeatures",
        "feature_extractor_config": {
            "encodec_model": "encodec_24khz",
            "bandwidths": [6.6, 6.6, 6.6, 6.6],
            "train_codebooks": True,
            "num_quantizers": 1,
            "dowmsamples": [8, 5, 4, 2],
            "vq_bins": 4096,
            "vq_kmeans": 200,
        },
    }
    module_name, class_name = enc_cfg["feature_extractor_class"].rsplit(".", 1)
    feature_cls = getattr(__import__(module_name, fromlist=[class_name]), class_name)
    encoder = WavEncoder(feature_cls(**enc_cfg["feature_extractor_config"]))
    for name, buf in encoder.named_buffers():
        if name.endswith("_codebook.inited"):
            buf.fill_(1.0)
        elif name.endswith("_codebook.embed"):
            buf.copy_(torch.randn_like(buf))
    (folder / "encoder").mkdir(parents=True, exist_ok=True)
    torch.save(encoder.state_dict(), folder / "encoder" / "encoder_model.pt")
    (folder / "encoder" / "config.json").write_text(json.dumps(enc_cfg, indent=2))

    dec_cfg = {
        "backbone_class": "decoder.models.VocosBackbone",
        "head_class": "decoder.heads.ISTFTHead",
        "backbone_config": {
            "input_channels": 512,
            "dim": 32,
            "intermediate_dim": 64,
            "num_layers": 1,
            "adanorm_num_embeddings": 4,
        },
        "head_config": {"dim": 32, "n_fft": 1280, "hop_length": 320, "padding": "same"},
    }
    parts = []
    for key in ("backbone", "head"):
        module_name, class_name = dec_cfg[f"{key}_class"].rsplit(".", 1)
        parts.append(getattr(__import__(module_name, fromlist=[class_name]), class_name)(**dec_cfg[f"{key}_config"]))
    decoder = WavDecoder(parts[0], parts[1], torch.randn(4096, 512) * 0.1)
    (folder / "decoder").mkdir(parents=True, exist_ok=True)
    torch.save(
        {"model_state_dict": decoder.state_dict(), "codebook_weights": decoder.codebook_weights},
        folder / "decoder" / "decoder_model.pt",
    )
    (folder / "decoder" / "config.json").write_text(json.dumps(dec_cfg, indent=2))


def make_dac(path: Path, seed: int = 0) -> None:
    """A small DAC at 24 kHz, 75 frames/s (hop 320), 2 codebooks of 1024 (the layout of DAC.speech 1.5 kbps)."""
    _import_outetts()
    import dac

    torch.manual_seed(seed)
    model = dac.DAC(
        encoder_dim=8,
        encoder_rates=[2, 4, 5, 8],
        latent_dim=64,
        decoder_dim=32,
        decoder_rates=[8, 5, 4, 2],
        n_codebooks=2,
        codebook_size=1024,
        codebook_dim=8,
        sample_rate=24000,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(path), package=False)


def make_tiny_outetts(root: Path, version: int, codec: Path | None = None) -> dict[str, Any]:
    """Build the tiny models for interface ``version`` under ``root``; return the speaker-dict paths.

    ``codec``: an existing codec path to reuse (V1 and V2 share the WavTokenizer).
    """
    root = Path(root)
    model = root / f"llm-v{version}"
    make_llm(model, version)
    if codec is None:
        if version == 3:
            codec = root / "dac" / "weights_24khz.pth"
            make_dac(codec)
        else:
            codec = root / "wavtokenizer"
            make_wavtokenizer(codec)
    return {
        "engine": "outetts",
        "model_path": str(model),
        "tokenizer_path": None,
        "codec_path": str(codec),
        "interface_version": version,
        "dtype": "float32",
    }
