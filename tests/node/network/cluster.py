"""Helpers for tests on real node processes: JSON-RPC calls, signed transfers, waiting with a bound, and
the check every network test ends with (all nodes hold the same block hash at every height)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

RECIPIENT = "0x" + "44" * 20


class RpcFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error


def rpc(url: str, method: str, params: list[Any] | None = None, *, timeout: float = 5.0) -> Any:
    body = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=timeout
    ).json()
    if "error" in body:
        raise RpcFailed(body["error"])
    return body["result"]


def try_rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    """Like :func:`rpc` but None for a node that does not answer (killed, starting)."""
    try:
        return rpc(url, method, params, timeout=2.0)
    except (httpx.HTTPError, RpcFailed):
        return None


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def height(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def block_hash(url: str, number: int) -> str | None:
    block = rpc(url, "eth_getBlockByNumber", [hex(number), False])
    return None if block is None else str(block["hash"])


def assert_same_chain(urls: Sequence[str]) -> int:
    """Every node has the same hash at every height up to the lowest head; return that height."""
    lowest = min(height(u) for u in urls)
    for number in range(lowest + 1):
        hashes = {block_hash(u, number) for u in urls}
        assert len(hashes) == 1, f"fork at height {number}: {hashes}"
    return lowest


@dataclass
class Account_:
    address: str
    private_key: str
    nonce: int = -1

    def transfer(self, url: str, chain_id: int, *, value: int = 1) -> str:
        """Sign and send a transfer through ``url``; return its hash."""
        if self.nonce < 0:
            self.nonce = int(rpc(url, "eth_getTransactionCount", [self.address, "pending"]), 16)
        tx = {
            "nonce": self.nonce,
            "gas": 21_000,
            "to": RECIPIENT,
            "value": value,
            "gasPrice": 0,
            "chainId": chain_id,
        }
        raw = Account.sign_transaction(tx, self.private_key).raw_transaction
        tx_hash = str(rpc(url, "eth_sendRawTransaction", ["0x" + raw.hex()]))
        self.nonce += 1
        return tx_hash


def wait_final_everywhere(
    tx_hash: str, urls: Sequence[str], *, timeout: float = 20.0
) -> list[dict[str, Any]]:
    """Wait until every node has the receipt (QBFT finality: in a committed block means final)."""

    def receipts() -> list[dict[str, Any]] | None:
        found = [try_rpc(u, "eth_getTransactionReceipt", [tx_hash]) for u in urls]
        return found if all(found) else None

    result: list[dict[str, Any]] = wait_for(receipts, timeout=timeout, what=f"{tx_hash} final on {len(urls)}")
    assert len({r["blockHash"] for r in result}) == 1
    return result


@dataclass
class Devnet:
    """A running devnet started by ``node.devnet.network.up`` (its ``devnet.json``)."""

    directory: Path
    description: dict[str, Any]

    @classmethod
    def load(cls, directory: Path) -> Devnet:
        return cls(directory, json.loads((directory / "devnet.json").read_text()))

    @property
    def urls(self) -> list[str]:
        return list(self.description["rpc"])

    @property
    def chain_id(self) -> int:
        return int(self.description["chain_id"])

    def account(self, index: int) -> Account_:
        entry = self.description["accounts"][index]
        return Account_(entry["address"], entry["private_key"])
