"""The soundtrack stage: voice / background separation and speech enhancement."""
