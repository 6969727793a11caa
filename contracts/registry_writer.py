"""Write to the registries through web3.py: the registrar's side of anchoring and status acts.

Values are checked here before any transaction (sizes the contract's ABI would refuse without a
reason, empty fields, reason codes), so a caller gets :class:`InvalidValueError` naming the field; what
only the chain can know (a duplicate hash or number, a missing role) comes back as
:class:`~contracts.transactions.TransactionReverted` with the contract's reason. Gas is estimated
before sending, so a refused act never reaches a block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from contracts.artifacts import load_artifact
from contracts.exceptions import ContractsError, InvalidValueError
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import PermitWindow
from contracts.registry_reader import PermitRecord
from contracts.statuses import PermitStatus
from contracts.transactions import DEFAULT_RECEIPT_TIMEOUT_S, TransactionReverted, TransactionSender

# Byte limits of the contracts' string parameters (UTF-8 bytes, not characters).
MAX_PERMIT_NUMBER_BYTES = 64
MAX_DISPLAY_NAME_BYTES = 256
MAX_PLATFORM_NAME_BYTES = 128
MAX_REASON_CODE = 2**16 - 1


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Where a registry write landed."""

    tx_hash: bytes
    block_number: int
    gas_used: int


@dataclass(frozen=True, slots=True)
class AnchorOutcome:
    """Result of :meth:`RegistryWriter.ensure_anchored`: the write, or ``None`` when the same permit was
    already on chain (a retry after a lost response, a crash between sending and recording)."""

    write: WriteResult | None

    @property
    def already_anchored(self) -> bool:
        return self.write is None


class AnchorConflictError(ContractsError):
    """The hash or the number is on chain already, with different permit data."""

    code = "contracts_anchor_conflict"


def _text(value: str, field: str, limit: int) -> str:
    size = len(value.encode("utf-8"))
    if size == 0:
        raise InvalidValueError(f"{field} must not be empty")
    if size > limit:
        raise InvalidValueError(f"{field} is {size} bytes in UTF-8; the registry takes at most {limit}")
    return value


def _permit_hash(value: bytes) -> bytes:
    if len(value) != 32 or not any(value):
        raise InvalidValueError("permit hash must be 32 bytes and not all zero")
    return bytes(value)


def _reason(value: int) -> int:
    if not 1 <= value <= MAX_REASON_CODE:
        raise InvalidValueError(f"reason code must be 1..{MAX_REASON_CODE}, got {value}")
    return value


class RegistryWriter:
    """A registrar's handle on one deployment of the registries."""

    def __init__(
        self,
        w3: Web3,
        *,
        permit_registry: ChecksumAddress,
        issuer_registry: ChecksumAddress,
        registrar: LocalAccount | str,
        gas_price: int | None = None,
        receipt_timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S,
    ) -> None:
        self._sender = TransactionSender(
            w3, registrar, gas_price=gas_price, receipt_timeout_s=receipt_timeout_s
        )
        self.permits: Contract = w3.eth.contract(
            address=permit_registry, abi=load_artifact("PermitRegistry").abi
        )
        self.issuers: Contract = w3.eth.contract(
            address=issuer_registry, abi=load_artifact("IssuerRegistry").abi
        )

    def _send(self, contract: Contract, function: str, args: list[Any], step: str) -> WriteResult:
        data = contract.encode_abi(function, args)
        receipt = self._sender.send({"to": contract.address, "data": data}, step)
        return WriteResult(
            tx_hash=bytes(HexBytes(receipt["transactionHash"])),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
        )

    def anchor(
        self,
        *,
        permit_hash: bytes,
        permit_number: str,
        issuer_id: str,
        window: PermitWindow,
        display_name: str,
        platform_name: str,
    ) -> WriteResult:
        """Anchor a signed permit and enter or update its issuer in the same transaction (R-REGY-1)."""
        args = [
            _permit_hash(permit_hash),
            _text(permit_number, "permit number", MAX_PERMIT_NUMBER_BYTES),
            encode_issuer_id(issuer_id),
            window.issued_at,
            window.valid_until,
            _text(display_name, "display name", MAX_DISPLAY_NAME_BYTES),
            _text(platform_name, "platform name", MAX_PLATFORM_NAME_BYTES),
        ]
        return self._send(self.permits, "anchor", args, f"anchor permit {permit_number}")

    def ensure_anchored(
        self,
        *,
        permit_hash: bytes,
        permit_number: str,
        issuer_id: str,
        window: PermitWindow,
        display_name: str,
        platform_name: str,
    ) -> AnchorOutcome:
        """Anchor unless this very permit is on chain already: safe to call again after any failure.

        "The same permit" means the same hash, number, issuer and dates; a hash or a number already
        used by a different permit raises :class:`AnchorConflictError` and sends nothing.
        """
        wanted = (permit_number, issuer_id, window.issued_at, window.valid_until)
        if self._matches(permit_hash, wanted):
            return AnchorOutcome(write=None)
        try:
            write = self.anchor(
                permit_hash=permit_hash,
                permit_number=permit_number,
                issuer_id=issuer_id,
                window=window,
                display_name=display_name,
                platform_name=platform_name,
            )
        except TransactionReverted as exc:
            if exc.reason not in ("permit already anchored", "permit number taken"):
                raise
            if self._matches(permit_hash, wanted):
                return AnchorOutcome(write=None)  # another attempt landed in between
            raise AnchorConflictError(f"permit {permit_number}: number taken by another permit") from exc
        return AnchorOutcome(write=write)

    def _matches(self, permit_hash: bytes, wanted: tuple[str, str, int, int]) -> bool:
        raw = self.permits.functions.status_at(_permit_hash(permit_hash), 0).call()
        record = PermitRecord.from_call(raw)
        if record.status is PermitStatus.NOT_FOUND:
            return False
        found = (record.permit_number, record.issuer_id, record.issued_at, record.valid_until)
        if found != wanted:
            raise AnchorConflictError(f"permit hash 0x{permit_hash.hex()} is anchored with different data")
        return True

    def suspend(self, permit_hash: bytes, reason: int) -> WriteResult:
        return self._send(
            self.permits, "suspend", [_permit_hash(permit_hash), _reason(reason)], "suspend permit"
        )

    def reinstate(self, permit_hash: bytes) -> WriteResult:
        return self._send(self.permits, "reinstate", [_permit_hash(permit_hash)], "reinstate permit")

    def revoke(self, permit_hash: bytes, reason: int) -> WriteResult:
        return self._send(
            self.permits, "revoke", [_permit_hash(permit_hash), _reason(reason)], "revoke permit"
        )

    def suspend_issuer(self, issuer_id: str, reason: int) -> WriteResult:
        args = [encode_issuer_id(issuer_id), _reason(reason)]
        return self._send(self.issuers, "suspend_issuer", args, f"suspend issuer {issuer_id}")

    def revoke_issuer(self, issuer_id: str, reason: int) -> WriteResult:
        args = [encode_issuer_id(issuer_id), _reason(reason)]
        return self._send(self.issuers, "revoke_issuer", args, f"revoke issuer {issuer_id}")

    def reinstate_issuer(self, issuer_id: str) -> WriteResult:
        args = [encode_issuer_id(issuer_id)]
        return self._send(self.issuers, "reinstate_issuer", args, f"reinstate issuer {issuer_id}")
