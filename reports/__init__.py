"""Citizen pollution reports: intake, photos, moderation and forwarding to bureaus."""
