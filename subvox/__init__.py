"""subvox: media folders to subtitles (and re-voiced audio), reproducibly."""

__version__ = "0.1.0"
