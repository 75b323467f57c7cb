"""Errors that services raise and views, API and CLI turn into messages.

Services never return error codes: they raise one of these with a message that a
person can read (already translated, lazily) and, where it helps, the field it is about.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the operation; nothing was changed."""

    http_status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class ValidationError(ServiceError):
    """The input breaks a rule (duplicate code, date out of range…)."""


class TransitionError(ServiceError):
    """The current state does not allow the requested transition."""

    http_status = 409


class ConflictError(ServiceError):
    """Somebody else changed the record since it was read."""

    http_status = 409


class PermissionDenied(ServiceError):
    """The actor may not do this to this object."""

    http_status = 403


class RateLimited(ServiceError):
    """Too many failed attempts (passwords, signatures): wait before trying again."""

    http_status = 429

    def __init__(self, message: str, field: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


def stale_message():
    """The one message for an edit prepared from a stale copy of a record."""
    from flask_babel import lazy_gettext as _l

    return _l("Otra persona modificó este registro mientras usted lo editaba. "
              "Sus cambios no se guardaron: revise la versión actual y vuelva a intentarlo.")


def check_version(obj, expected: int | None) -> None:
    """Refuse an edit prepared from a stale copy of ``obj`` (the version the form or API
    client read is not the stored one)."""
    if expected is None:
        raise ConflictError(stale_message())
    try:
        expected = int(str(expected).strip())
    except ValueError:  # a tampered or garbled hidden field ("abc") is no version
        raise ConflictError(stale_message()) from None
    if expected != obj.version:
        raise ConflictError(stale_message())
