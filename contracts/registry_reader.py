"""Read the registries through web3.py and get typed answers instead of ABI tuples.

The verifier page, the registry API and the CLI all ask the same two questions, "what is this permit's
status at time T" and "what is this issuer's status at time T"; each is one ``eth_call``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from contracts.artifacts import load_artifact
from contracts.exceptions import InvalidValueError
from contracts.issuer_ids import decode_issuer_id, encode_issuer_id
from contracts.statuses import IssuerStatus, PermitStatus

PERMIT_HASH_LENGTH = 32
EMPTY_ISSUER_ID = bytes(12)


@dataclass(frozen=True, slots=True)
class PermitRecord:
    """``PermitRegistry.status_at``: a permit's status at a time, with what the registry holds on it."""

    status: PermitStatus
    permit_hash: bytes
    permit_number: str
    issuer_id: str | None
    issued_at: int
    valid_until: int
    anchored_at: int
    changed_at: int
    reason: int

    @classmethod
    def from_call(cls, raw: Sequence[Any]) -> PermitRecord:
        status, permit_hash, number, issuer_id, issued_at, valid_until, anchored_at, changed_at, reason = raw
        return cls(
            status=PermitStatus(status),
            permit_hash=bytes(permit_hash),
            permit_number=str(number),
            issuer_id=None if bytes(issuer_id) == EMPTY_ISSUER_ID else decode_issuer_id(issuer_id),
            issued_at=int(issued_at),
            valid_until=int(valid_until),
            anchored_at=int(anchored_at),
            changed_at=int(changed_at),
            reason=int(reason),
        )


@dataclass(frozen=True, slots=True)
class IssuerRecord:
    """``IssuerRegistry.issuer_status_at``: an issuer's register entry and its status at a time."""

    status: IssuerStatus
    issuer_id: str | None
    display_name: str
    platform_name: str
    permit_hash: bytes
    reason: int
    registered_at: int
    updated_at: int
    valid_until: int

    @classmethod
    def from_call(cls, raw: Sequence[Any]) -> IssuerRecord:
        status, issuer_id, display, platform, permit_hash, reason, registered, updated, valid_until = raw
        return cls(
            status=IssuerStatus(status),
            issuer_id=None if bytes(issuer_id) == EMPTY_ISSUER_ID else decode_issuer_id(issuer_id),
            display_name=str(display),
            platform_name=str(platform),
            permit_hash=bytes(permit_hash),
            reason=int(reason),
            registered_at=int(registered),
            updated_at=int(updated),
            valid_until=int(valid_until),
        )


def _permit_hash(value: bytes) -> bytes:
    if len(value) != PERMIT_HASH_LENGTH:
        raise InvalidValueError(f"a permit hash is {PERMIT_HASH_LENGTH} bytes, got {len(value)}")
    return value


class RegistryReader:
    """Read-only view of one deployment of the two registries."""

    def __init__(
        self, w3: Web3, *, permit_registry: ChecksumAddress, issuer_registry: ChecksumAddress
    ) -> None:
        self.permits: Contract = w3.eth.contract(
            address=permit_registry, abi=load_artifact("PermitRegistry").abi
        )
        self.issuers: Contract = w3.eth.contract(
            address=issuer_registry, abi=load_artifact("IssuerRegistry").abi
        )

    def permit_status(self, permit_hash: bytes, at: int) -> PermitRecord:
        raw = self.permits.functions.status_at(_permit_hash(permit_hash), at).call()
        return PermitRecord.from_call(raw)

    def permit_status_by_number(self, permit_number: str, at: int) -> PermitRecord:
        return PermitRecord.from_call(self.permits.functions.status_by_number(permit_number, at).call())

    def issuer_status(self, issuer_id: str, at: int) -> IssuerRecord:
        raw = self.issuers.functions.issuer_status_at(encode_issuer_id(issuer_id), at).call()
        return IssuerRecord.from_call(raw)
