"""Media in, audio out: ffprobe metadata, 16 kHz PCM for the models, audio tracks muxed back."""
