"""One exception type whose message is the one line a user sees."""

from __future__ import annotations


class SubvoxError(Exception):
    """A failure with a clear, one-line reason (no traceback needed to understand it)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
