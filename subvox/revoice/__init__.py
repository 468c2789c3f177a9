"""Re-voicing: speaker profiles, TTS engines, cue timing and mixing, the dubbed track."""
