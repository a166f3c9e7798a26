"""Benchmarks run by `make bench-*`; results are recorded in BENCHMARKS.md."""
