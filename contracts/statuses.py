"""The numbers the registries answer with, named.

They mirror the constants in ``contracts/src/*.vy``; a test reads both so they cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum


class PermitStatus(IntEnum):
    """``PermitRegistry.status_at``: a permit's status at a given time."""

    NOT_FOUND = 0
    VALID = 1
    NOT_YET_VALID = 2
    EXPIRED = 3
    SUSPENDED = 4
    REVOKED = 5


class IssuerStatus(IntEnum):
    """``IssuerRegistry.issuer_status_at``: an issuer's status at a given time (EXPIRED is derived)."""

    NOT_FOUND = 0
    ACTIVE = 1
    SUSPENDED = 2
    REVOKED = 3
    EXPIRED = 4


class IssuerStatusCause(IntEnum):
    """``IssuerStatusChanged.cause``: why an issuer's status changed."""

    PERMIT = 1  # the issuer's current permit was suspended, revoked or reinstated
    DIRECT = 2  # a registrar acted on the issuer itself
