"""Speech-dataset export: subtitle cues as rows with quality figures, written as JSONL, Lhotse,
Hugging Face audiofolder and NeMo manifests over one set of WAV cuts, with fixed per-file splits."""
