"""What verification needs from a node, as a protocol, and the events it reads back.

The verifier is typed against :class:`RegistryView` so the same core runs behind the API (a cached,
shared view) and the CLI (a direct view of any node), and tests can read a real devnet through either.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from contracts.registry_reader import IssuerRecord, PermitRecord
from contracts.statuses import IssuerStatus


class PermitEventKind(enum.StrEnum):
    ANCHORED = "anchored"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REVOKED = "revoked"


class IssuerEventKind(enum.StrEnum):
    REGISTERED = "registered"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"


@dataclass(frozen=True, slots=True)
class PermitEvent:
    """One state change of a permit, as its log says: what, when (block time), where (block, tx)."""

    kind: PermitEventKind
    permit_hash: bytes
    issuer_id: str
    block_number: int
    tx_hash: str
    log_index: int
    at: int
    reason: int | None = None


@dataclass(frozen=True, slots=True)
class IssuerEvent:
    """One revision of an issuer's register entry (IssuerRegistered / IssuerUpdated / IssuerStatusChanged)."""

    kind: IssuerEventKind
    issuer_id: str
    permit_hash: bytes
    status: IssuerStatus
    block_number: int
    tx_hash: str
    log_index: int
    at: int
    reason: int | None = None
    cause: int | None = None
    display_name: str | None = None
    platform_name: str | None = None


@dataclass(frozen=True, slots=True)
class AnchorProof:
    """Where a permit was anchored. QBFT gives immediate finality: a block in the chain is final."""

    block_number: int
    tx_hash: str
    block_time: int
    head: int

    @property
    def confirmations(self) -> int:
        return max(self.head - self.block_number, 0)


class RegistryView(Protocol):
    def head(self) -> int:
        """Return the number of the newest block."""
        ...

    def head_time(self) -> int:
        """Return the timestamp (unix seconds) of the newest block."""
        ...

    def permit_by_hash(self, permit_hash: bytes, at: int) -> PermitRecord:
        """Return the permit with this hash and its status at ``at`` (status NOT_FOUND when absent)."""
        ...

    def permit_by_number(self, number: str, at: int) -> PermitRecord:
        """Return the permit with this number and its status at ``at`` (status NOT_FOUND when absent)."""
        ...

    def issuer(self, issuer_id: str, at: int) -> IssuerRecord:
        """Return the issuer's register entry and its status at ``at``."""
        ...

    def permit_events(self, permit_hash: bytes) -> list[PermitEvent]:
        """Return every state change of this permit, oldest first."""
        ...

    def issuer_events(self, issuer_id: str) -> list[IssuerEvent]:
        """Return every revision of this issuer's entry, oldest first."""
        ...

    def issuer_ids(self) -> list[str]:
        """Return every issuer ever entered in the register, in order of first entry."""
        ...
