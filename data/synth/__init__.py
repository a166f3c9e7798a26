"""Deterministic synthetic data where no open data exists; every row it writes is flagged synthetic."""
