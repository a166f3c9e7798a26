"""Coordinates, datums and geometry helpers (no web framework here)."""
