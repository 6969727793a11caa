"""Signed test transactions, made with eth-account (an independent signer) and decoded by py-evm."""

from __future__ import annotations

from typing import Any

from eth.abc import SignedTransactionAPI
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PrivateKey

CHAIN_ID = 7210
RECIPIENT = "0x" + "33" * 20


def sender_key(index: int) -> PrivateKey:
    return PrivateKey((0x1000 + index).to_bytes(32, "big"))


def raw_tx(key: PrivateKey, nonce: int, *, kind: int = 0, chain_id: int = CHAIN_ID, **fields: Any) -> bytes:
    tx: dict[str, Any] = {
        "nonce": nonce,
        "gas": 21_000,
        "to": RECIPIENT,
        "value": 1,
        "data": b"",
        "chainId": chain_id,
    }
    if kind == 0:
        tx["gasPrice"] = 0
    elif kind == 1:
        tx.update(type=1, gasPrice=0, accessList=[])
    else:
        tx.update(type=2, maxFeePerGas=0, maxPriorityFeePerGas=0)
    tx.update(fields)
    return bytes(Account.sign_transaction(tx, key.to_bytes()).raw_transaction)


def signed_tx(key: PrivateKey, nonce: int, **kwargs: Any) -> SignedTransactionAPI:
    return PragueTransactionBuilder.decode(raw_tx(key, nonce, **kwargs))


def high_s_twin(raw: bytes, kind: int) -> bytes:
    """The same signature mirrored to high s: it still recovers the sender, but EIP-2 forbids it."""
    tx: Any = PragueTransactionBuilder.decode(raw)  # legacy fields (v) are not on the typed API
    if kind == 0:
        flipped_v = tx.v + 1 if tx.v % 2 else tx.v - 1
        return bytes(tx.copy(s=SECPK1_N - tx.s, v=flipped_v).encode())
    return bytes(tx.copy(s=SECPK1_N - tx.s, y_parity=tx.y_parity ^ 1).encode())
