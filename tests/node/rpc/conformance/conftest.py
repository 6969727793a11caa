"""Targets of the JSON-RPC conformance suite: every test here runs against each RPC endpoint listed.

A target is an RPC URL plus the keys the suite may use: ``sender`` is funded and on the account
allow-list, ``outsider`` is not allowed. The suite runs against the py-evm reference node
(``tests/node/rpc/pyevm_node.py``) served by the real RPC app and uvicorn, the node process
(``single_node``), and one validator of the five-node QBFT devnet (``devnet5``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import vyper
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from node.rpc import RpcLimits, create_rpc_app
from tests.node.conftest import SingleNode
from tests.node.network.cluster import Devnet
from tests.node.rpc.pyevm_node import ReferenceNode
from tests.node.rpc.serving import serve

TARGETS = ["reference_target", "single_node_target", "network_target"]
# Any running node (the five-node devnet, or another client such as Besu) joins with environment variables:
# PERMITCHAIN_RPC_URL, PERMITCHAIN_RPC_KEY (funded, allow-listed), optionally PERMITCHAIN_RPC_OUTSIDER_KEY
# (not allow-listed) and PERMITCHAIN_RPC_ADMIN_TOKEN.
if os.environ.get("PERMITCHAIN_RPC_URL"):
    TARGETS.append("external_target")
PROBE_SOURCE = Path(__file__).with_name("contracts") / "Probe.vy"
TEST_LIMITS = RpcLimits(
    max_body_bytes=256 * 1024,
    max_batch=20,
    max_ws_message_bytes=64 * 1024,
    max_subscriptions_per_connection=4,
    max_log_block_range=500,
)


@dataclass(frozen=True)
class RpcTarget:
    """One endpoint under test and what the suite may do with it."""

    url: str
    chain_id: int
    sender: PrivateKey
    outsider: PrivateKey
    limits: RpcLimits
    admin_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def call(self, method: str, *params: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """POST one request and return the whole response object (``result`` or ``error``)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        response = httpx.post(self.url, json=body, headers=headers, timeout=30)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def result(self, method: str, *params: Any) -> Any:
        answer = self.call(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    def error(self, method: str, *params: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        answer = self.call(method, *params, headers=headers)
        assert "error" in answer, answer
        error: dict[str, Any] = answer["error"]
        return error


def _key(label: str) -> PrivateKey:
    return PrivateKey(keccak(label.encode()))


@pytest.fixture(scope="session")
def reference_target() -> Iterator[RpcTarget]:
    sender, outsider = _key("conformance sender"), _key("conformance outsider")
    node = ReferenceNode([sender, outsider], allowed=1, auto_produce=True)
    app = create_rpc_app(
        reader=node,
        pool=node,
        events=node,
        admin=node,
        client_version="permitchain-test/v0",
        limits=TEST_LIMITS,
    )
    with serve(app) as url:
        yield RpcTarget(url=url, chain_id=node.chain_id, sender=sender, outsider=outsider, limits=TEST_LIMITS)


@pytest.fixture(scope="session")
def single_node_target(single_node: SingleNode) -> RpcTarget:
    """The real node process (LMDB, pool, producer) started once per session by ``tests/node/conftest.py``."""
    return RpcTarget(
        url=single_node.url,
        chain_id=single_node.chain_id,
        sender=single_node.accounts[0],
        outsider=single_node.outsider,
        limits=RpcLimits(),
    )


@pytest.fixture(scope="session")
def network_target(devnet5: Devnet) -> RpcTarget:
    """One validator of the five-node QBFT devnet; transactions reach the proposer by gossip."""
    entry = devnet5.description["accounts"][-1]  # the last dev account: other network tests start at 0
    return RpcTarget(
        url=devnet5.urls[2],
        chain_id=devnet5.chain_id,
        sender=PrivateKey(bytes.fromhex(entry["private_key"].removeprefix("0x"))),
        outsider=_key("network outsider"),
        limits=RpcLimits(),
    )


@pytest.fixture(scope="session")
def external_target() -> RpcTarget:
    url = os.environ["PERMITCHAIN_RPC_URL"]
    sender = PrivateKey(bytes.fromhex(os.environ["PERMITCHAIN_RPC_KEY"].removeprefix("0x")))
    outsider_hex = os.environ.get("PERMITCHAIN_RPC_OUTSIDER_KEY")
    outsider = (
        PrivateKey(bytes.fromhex(outsider_hex.removeprefix("0x")))
        if outsider_hex
        else _key("external outsider")
    )
    token = os.environ.get("PERMITCHAIN_RPC_ADMIN_TOKEN")
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    chain_id = int(httpx.post(url, json=body, timeout=30).json()["result"], 16)
    return RpcTarget(
        url=url,
        chain_id=chain_id,
        sender=sender,
        outsider=outsider,
        limits=RpcLimits(),
        admin_headers={"Authorization": f"Bearer {token}"} if token else {},
    )


# Targets that are real node processes carry the ``network`` and ``slow`` markers, so ``-m "not network"``
# keeps the in-process reference only.
TARGET_PARAMS = [
    pytest.param(name, marks=() if name == "reference_target" else (pytest.mark.network, pytest.mark.slow))
    for name in TARGETS
]


@pytest.fixture(scope="session", params=TARGET_PARAMS)
def rpc(request: pytest.FixtureRequest) -> RpcTarget:
    target: RpcTarget = request.getfixturevalue(request.param)
    return target


@pytest.fixture(scope="session")
def probe_artifact() -> dict[str, Any]:
    """ABI and bytecode of ``contracts/Probe.vy``, compiled with the project's pinned Vyper."""
    out = vyper.compile_code(PROBE_SOURCE.read_text(), output_formats=["abi", "bytecode"])
    return {"abi": out["abi"], "bytecode": out["bytecode"]}
