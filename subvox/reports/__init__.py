"""What a run leaves for people and trainers: the HTML report, the dataset export, provenance."""
