"""Subtitles in other languages: sentences translated offline, laid back on the source timing."""
