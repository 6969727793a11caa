"""What the conformance tests do with web3.py: sign locally, send raw, wait for the receipt."""

from __future__ import annotations

from typing import Any, cast

from eth_account import Account
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxParams, TxReceipt

from tests.node.rpc.conformance.conftest import RpcTarget

RECEIPT_TIMEOUT = 30


def web3_for(rpc: RpcTarget) -> Web3:
    """A web3.py client as any BFT-chain user configures it.

    QBFT headers carry validators, round and seals in ``extraData`` (more than 32 bytes), which web3.py
    refuses unless the proof-of-authority middleware is injected, exactly as for Besu QBFT or Clique.
    """
    w3 = Web3(Web3.HTTPProvider(rpc.url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def address_of(key: PrivateKey) -> ChecksumAddress:
    return Web3.to_checksum_address(key.public_key.to_canonical_address())


def sign(w3: Web3, key: PrivateKey, tx: dict[str, Any]) -> HexBytes:
    """Fill nonce, chain id and fees the way web3.py users do, sign, and return the raw bytes."""
    sender = address_of(key)
    filled = {"from": sender, "chainId": w3.eth.chain_id, **tx}
    filled.setdefault("nonce", w3.eth.get_transaction_count(sender, "pending"))
    filled.setdefault("maxPriorityFeePerGas", w3.eth.max_priority_fee)
    filled.setdefault(
        "maxFeePerGas",
        filled["maxPriorityFeePerGas"] + 2 * (w3.eth.get_block("latest").get("baseFeePerGas") or 0),
    )
    call = {k: v for k, v in filled.items() if k in ("from", "to", "data", "value")}
    filled.setdefault("gas", w3.eth.estimate_gas(cast(TxParams, call)))
    signed = Account.sign_transaction(filled, key.to_bytes())
    return HexBytes(signed.raw_transaction)


def transact(w3: Web3, key: PrivateKey, tx: dict[str, Any]) -> TxReceipt:
    tx_hash = w3.eth.send_raw_transaction(sign(w3, key, tx))
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.05)
