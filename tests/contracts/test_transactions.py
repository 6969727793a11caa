"""TransactionSender: refusals before sending, failed receipts after, on eth-tester's py-evm backend."""

from __future__ import annotations

import pytest
from hexbytes import HexBytes

from contracts.exceptions import InvalidValueError
from contracts.issuer_ids import encode_issuer_id
from contracts.transactions import TransactionError, TransactionReverted, TransactionSender

from .conftest import ISSUER_BIN, Registries


def _bad_anchor_data(registries: Registries) -> str:
    w = registries.window()
    data: str = registries.permits.encode_abi(
        "anchor", [bytes(32), "KZ-1", encode_issuer_id(ISSUER_BIN), w.issued_at, w.valid_until, "A", "B"]
    )
    return data


def test_estimated_revert_is_reported_with_its_reason(registries: Registries):
    sender = TransactionSender(registries.w3, registries.registrar)
    block = registries.w3.eth.block_number
    with pytest.raises(TransactionReverted, match="anchor: reverted: zero permit hash") as exc:
        sender.send({"to": registries.permits.address, "data": _bad_anchor_data(registries)}, "anchor")
    assert exc.value.reason == "zero permit hash"
    assert registries.w3.eth.block_number == block


def test_a_mined_failure_is_an_error_not_a_success(registries: Registries):
    """With gas given, nothing is estimated: the transaction is mined, fails, and is reported."""
    sender = TransactionSender(registries.w3, registries.registrar)
    tx = {"to": registries.permits.address, "data": _bad_anchor_data(registries), "gas": 300_000}
    with pytest.raises(TransactionError, match=r"anchor: transaction (0x[0-9a-f]{64}) failed") as exc:
        sender.send(tx, "anchor")
    tx_hash = HexBytes(exc.value.message.split()[2])
    assert registries.w3.eth.get_transaction_receipt(tx_hash)["status"] == 0


def test_sender_arguments_are_checked(registries: Registries):
    with pytest.raises(InvalidValueError, match="gas price must not be negative"):
        TransactionSender(registries.w3, registries.registrar, gas_price=-1)
    with pytest.raises(InvalidValueError, match="account is not an address"):
        TransactionSender(registries.w3, "0xabc")


def test_send_all_estimates_everything_before_sending_anything(registries: Registries):
    sender = TransactionSender(registries.w3, registries.registrar)
    nonce = registries.w3.eth.get_transaction_count(registries.registrar)
    good = {"to": registries.registrar, "value": 1}
    bad = {"to": registries.permits.address, "data": _bad_anchor_data(registries)}
    with pytest.raises(TransactionReverted, match="second: reverted: zero permit hash"):
        sender.send_all([(good, "first"), (bad, "second")])
    # The first was fine, but nothing went out: the batch is refused whole.
    assert registries.w3.eth.get_transaction_count(registries.registrar) == nonce
    receipts = sender.send_all([(good, "first"), (good, "second")])
    hashes = [r["transactionHash"] for r in receipts]
    assert [registries.w3.eth.get_transaction(h)["nonce"] for h in hashes] == [nonce, nonce + 1]
