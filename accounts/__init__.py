"""Accounts: users, invitations, sessions-independent login limits, and API tokens (no web here)."""
