"""Transcript to subtitles: readable cues, SRT/VTT/TXT/JSON writers, per-file QA, and the batch job."""
