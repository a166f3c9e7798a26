"""Ingest: one row/issue/report framework and table reader, and the pipelines that use them."""
