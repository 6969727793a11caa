"""The one exception root of the registry service and its stable codes.

Every error a user may see derives from :class:`RegistryError` (itself a
:class:`~permitchain.errors.PermitChainError`) and carries the HTTP status it maps to, so the HTTP
layer turns any of them into a problem response in exactly one place (``registry_api.routes.problems``)
and the CLI into ``error: ...``. Domain code never raises HTTP exceptions.
"""

from __future__ import annotations

from permitchain.errors import PermitChainError


class RegistryError(PermitChainError):
    """Root of every registry service error; ``status`` is the HTTP status of its problem response."""

    code = "registry_error"
    status: int = 400


class ConfigurationError(RegistryError):
    """Settings are missing or unsafe (e.g. a default secret outside dev/test)."""

    code = "configuration_invalid"
    status = 500


class CalendarError(RegistryError):
    """A calendar question was asked with an invalid argument (naive datetime, negative count)."""

    code = "calendar_invalid"


class NotFound(RegistryError):
    code = "not_found"
    status = 404


class IllegalTransition(RegistryError):
    """The requested step is not allowed from the application's current status."""

    code = "illegal_transition"
    status = 409


class Conflict(RegistryError):
    code = "conflict"
    status = 409


class InvalidInput(RegistryError):
    code = "invalid_input"
    status = 422


class PayloadTooLarge(RegistryError):
    code = "payload_too_large"
    status = 413


class SignatureRejected(RegistryError):
    """A CMS signature failed verification (chain, time, revocation, purpose, identity)."""

    code = "signature_invalid"
    status = 422


class AuthenticationFailed(RegistryError):
    code = "authentication_failed"
    status = 401


class Forbidden(RegistryError):
    code = "forbidden"
    status = 403


class TooManyRequests(RegistryError):
    code = "too_many_requests"
    status = 429
