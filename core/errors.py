"""Domain errors: each says what is wrong in words a user can act on; none knows about HTTP.

The web layer maps each kind to a status code once (`app/errors.py`); the CLI prints the reason.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can explain to a user: a reason and optional details."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class Invalid(DomainError, ValueError):
    """A value a caller sent cannot be used (bad number, bbox, filter, file)."""


class NotFound(DomainError, LookupError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Unauthorized(DomainError):
    """The caller has to sign in or present a valid token."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Conflict(DomainError):
    """The request clashes with the current state (already exists, wrong state for this step)."""


class TooLarge(DomainError):
    """The request or its answer exceeds a configured bound."""


class TooManyRequests(DomainError):
    """Too many attempts in a window; try again later."""


class Unavailable(DomainError):
    """A dependency (database, surface file) is not available right now."""
