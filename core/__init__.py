"""The core: domain errors, argument parsing, data-set provenance and logging; no I/O, no web, no database."""
