"""Glue between Snakemake and subvox: rule-script set-up and the jobs' malloc."""
