"""Domain errors raised by services; views and the CLI turn them into messages."""
from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; the message is shown to the user."""


class ValidationFailed(DomainError):
    """Input is wrong; `errors` maps a field name to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


class StaleObject(DomainError):
    """Someone else saved the object after the caller loaded it."""


class PermissionDenied(DomainError):
    """The actor's role may not do this."""
