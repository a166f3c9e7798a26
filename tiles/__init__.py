"""Vector tile generation from PostGIS (no web framework here)."""
