"""RegistryWriter: a registrar's raw-signed writes, values checked before sending, reverts with reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from contracts.exceptions import InvalidValueError
from contracts.issuer_ids import encode_issuer_id
from contracts.registry_writer import AnchorConflictError, RegistryWriter
from contracts.statuses import IssuerStatus, PermitStatus
from contracts.transactions import TransactionReverted

from .conftest import ISSUER_BIN, REVERTED, Registries

HASH = Web3.keccak(text="writer permit")


@pytest.fixture
def registrar_key(registries: Registries):
    key = Account.create()
    registries.w3.eth.send_transaction(
        {"from": registries.admin, "to": key.address, "value": Web3.to_wei(1, "ether")}
    )
    registries.transact(registries.permits.functions.add_registrar(key.address), registries.admin)
    return key


def _writer(registries: Registries, registrar) -> RegistryWriter:
    return RegistryWriter(
        registries.w3,
        permit_registry=registries.addresses.permit_registry,
        issuer_registry=registries.addresses.issuer_registry,
        registrar=registrar,
    )


def _anchor(writer: RegistryWriter, registries: Registries, **change):
    args: dict[str, Any] = {
        "permit_hash": HASH,
        "permit_number": "KZ-DA-0100",
        "issuer_id": ISSUER_BIN,
        "window": registries.window(dt.date(2025, 6, 2)),
        "display_name": "ТОО «Писатель»",
        "platform_name": "Writer Platform",
    }
    args.update(change)
    return writer.anchor(**args)


def test_full_flow_with_a_raw_signed_registrar(registries: Registries, registrar_key):
    writer = _writer(registries, registrar_key)
    result = _anchor(writer, registries)
    receipt = registries.w3.eth.get_transaction_receipt(result.tx_hash)
    assert (receipt["blockNumber"], receipt["gasUsed"], receipt["from"]) == (
        result.block_number,
        result.gas_used,
        registrar_key.address,
    )
    w = registries.window(dt.date(2025, 6, 2))
    assert registries.permit(HASH, w.issued_at).status is PermitStatus.VALID
    assert registries.issuer().status is IssuerStatus.ACTIVE

    writer.suspend(HASH, 5)
    assert registries.permit(HASH, registries.now()).status is PermitStatus.SUSPENDED
    writer.reinstate(HASH)
    assert registries.permit(HASH, registries.now()).status is PermitStatus.VALID
    writer.suspend_issuer(ISSUER_BIN, 6)
    assert registries.issuer().status is IssuerStatus.SUSPENDED
    writer.reinstate_issuer(ISSUER_BIN)
    assert registries.issuer().status is IssuerStatus.ACTIVE
    writer.revoke(HASH, 7)
    assert registries.permit(HASH, registries.now()).status is PermitStatus.REVOKED
    assert registries.issuer().status is IssuerStatus.REVOKED
    with pytest.raises(TransactionReverted) as exc:
        writer.revoke_issuer(ISSUER_BIN, 8)
    assert exc.value.reason == "issuer already revoked"


def test_chain_refusals_carry_the_contract_reason_and_spend_no_nonce(registries: Registries, registrar_key):
    writer = _writer(registries, registrar_key)
    _anchor(writer, registries)
    nonce = registries.w3.eth.get_transaction_count(registrar_key.address)
    with pytest.raises(TransactionReverted) as exc:
        _anchor(writer, registries, permit_number="KZ-DA-0101")
    assert exc.value.reason == "permit already anchored"
    assert exc.value.code == "contracts_transaction_reverted"
    with pytest.raises(TransactionReverted) as exc:
        _anchor(writer, registries, permit_hash=Web3.keccak(text="other"))
    assert exc.value.reason == "permit number taken"
    with pytest.raises(TransactionReverted) as exc:
        _writer(registries, registries.outsider).revoke(HASH, 1)
    assert exc.value.reason == "not a registrar"
    assert registries.w3.eth.get_transaction_count(registrar_key.address) == nonce
    # The writer goes on with the right nonce after a refusal.
    writer.revoke(HASH, 1)
    assert registries.permit(HASH, registries.now()).status is PermitStatus.REVOKED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"permit_hash": bytes(32)}, "permit hash must be 32 bytes and not all zero"),
        ({"permit_hash": b"\x01" * 31}, "permit hash must be 32 bytes"),
        ({"permit_number": ""}, "permit number must not be empty"),
        ({"permit_number": "Ә" * 33}, "permit number is 66 bytes in UTF-8; the registry takes at most 64"),
        ({"display_name": ""}, "display name must not be empty"),
        ({"display_name": "Ә" * 129}, "display name is 258 bytes"),
        ({"platform_name": "p" * 129}, "platform name is 129 bytes"),
        ({"issuer_id": "94014000038"}, "issuer id must be 12 digits"),
    ],
)
def test_bad_values_are_refused_before_sending(registries: Registries, registrar_key, change, message):
    writer = _writer(registries, registrar_key)
    block = registries.w3.eth.block_number
    with pytest.raises(InvalidValueError, match=message):
        _anchor(writer, registries, **change)
    assert registries.w3.eth.block_number == block


@pytest.mark.parametrize("reason", [0, -1, 2**16])
def test_reason_codes_are_checked(registries: Registries, registrar_key, reason):
    writer = _writer(registries, registrar_key)
    with pytest.raises(InvalidValueError, match=r"reason code must be 1\.\.65535"):
        writer.revoke(HASH, reason)
    with pytest.raises(InvalidValueError, match=r"reason code must be 1\.\.65535"):
        writer.suspend_issuer(ISSUER_BIN, reason)


def test_the_contract_itself_refuses_oversized_strings(registries: Registries):
    """The ABI bound holds on chain too, for clients that skip the writer's checks."""
    w = registries.window()
    call = registries.permits.functions.anchor(
        HASH, "N" * 65, encode_issuer_id(ISSUER_BIN), w.issued_at, w.valid_until, "A", "B"
    )
    with pytest.raises(REVERTED):
        call.transact({"from": registries.registrar})
    assert registries.permit(HASH, w.issued_at).status is PermitStatus.NOT_FOUND


def test_ensure_anchored_is_idempotent(registries: Registries, registrar_key):
    writer = _writer(registries, registrar_key)
    w = registries.window(dt.date(2025, 6, 2))
    args: dict[str, Any] = {
        "permit_hash": HASH,
        "permit_number": "KZ-DA-0100",
        "issuer_id": ISSUER_BIN,
        "window": w,
        "display_name": "ТОО «Писатель»",
        "platform_name": "Writer Platform",
    }
    first = writer.ensure_anchored(**args)
    assert not first.already_anchored and first.write is not None
    nonce = registries.w3.eth.get_transaction_count(registrar_key.address)
    again = writer.ensure_anchored(**args)
    assert again.already_anchored and again.write is None
    assert registries.w3.eth.get_transaction_count(registrar_key.address) == nonce
    assert registries.permit(HASH, w.issued_at).status is PermitStatus.VALID


def test_ensure_anchored_refuses_conflicts(registries: Registries, registrar_key):
    writer = _writer(registries, registrar_key)
    w = registries.window(dt.date(2025, 6, 2))
    base: dict[str, Any] = {
        "permit_hash": HASH,
        "permit_number": "KZ-DA-0100",
        "issuer_id": ISSUER_BIN,
        "window": w,
        "display_name": "A",
        "platform_name": "B",
    }
    writer.ensure_anchored(**base)
    block = registries.w3.eth.block_number
    with pytest.raises(AnchorConflictError, match="anchored with different data"):
        writer.ensure_anchored(**{**base, "permit_number": "KZ-DA-0999"})
    with pytest.raises(AnchorConflictError, match="anchored with different data"):
        writer.ensure_anchored(**{**base, "window": registries.window(dt.date(2025, 6, 3))})
    with pytest.raises(AnchorConflictError, match="number taken by another permit"):
        writer.ensure_anchored(**{**base, "permit_hash": Web3.keccak(text="another")})
    assert registries.w3.eth.block_number == block
    assert AnchorConflictError("conflict").code == "contracts_anchor_conflict"
