"""WebSocket transport: calls, eth_subscribe newHeads/logs delivered on commit, unsubscribe, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.node.rpc.conformance.chain_client import transact, web3_for
from tests.node.rpc.conformance.conftest import RpcTarget

WAIT = 30


def ask(ws: ClientConnection, method: str, *params: Any, request_id: int = 1) -> dict[str, Any]:
    """Send one call and return its answer, skipping subscription notifications that arrive first."""
    ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}))
    while True:
        message = json.loads(ws.recv(timeout=WAIT))
        if message.get("id") == request_id:
            answer: dict[str, Any] = message
            return answer


def notification(ws: ClientConnection, subscription: str) -> dict[str, Any]:
    while True:
        message = json.loads(ws.recv(timeout=WAIT))
        if message.get("method") == "eth_subscription" and message["params"]["subscription"] == subscription:
            result: dict[str, Any] = message["params"]["result"]
            return result


@pytest.fixture
def ws(rpc: RpcTarget):
    with connect(rpc.ws_url, max_size=2**24) as connection:
        yield connection


@pytest.fixture(scope="module")
def probe(rpc: RpcTarget, probe_artifact: dict[str, Any]):
    w3 = web3_for(rpc)
    receipt = transact(w3, rpc.sender, {"data": probe_artifact["bytecode"]})
    return w3.eth.contract(address=receipt["contractAddress"], abi=probe_artifact["abi"])


def test_plain_calls_and_batches_over_websocket(rpc: RpcTarget, ws: ClientConnection) -> None:
    assert ask(ws, "eth_chainId")["result"] == hex(rpc.chain_id)
    ws.send(
        json.dumps(
            [{"jsonrpc": "2.0", "id": 7, "method": "net_version"}, {"jsonrpc": "2.0", "id": 8, "method": "x"}]
        )
    )
    batch = json.loads(ws.recv(timeout=WAIT))
    assert [item["id"] for item in batch] == [7, 8]
    ws.send("{not json")
    assert json.loads(ws.recv(timeout=WAIT))["error"]["code"] == -32700


def test_new_heads_delivered_when_a_block_commits(rpc: RpcTarget, ws: ClientConnection, probe) -> None:
    subscription = ask(ws, "eth_subscribe", "newHeads")["result"]
    receipt = transact(
        web3_for(rpc), rpc.sender, {"to": probe.address, "data": probe.encode_abi("store", [3])}
    )
    while True:
        head = notification(ws, subscription)
        if int(head["number"], 16) >= receipt["blockNumber"]:
            break
    assert int(head["number"], 16) == receipt["blockNumber"]
    assert head["hash"] == receipt["blockHash"].to_0x_hex()
    assert "transactions" not in head
    assert ask(ws, "eth_unsubscribe", subscription)["result"] is True
    assert ask(ws, "eth_unsubscribe", subscription)["result"] is False


def test_logs_subscription_filters_by_address(rpc: RpcTarget, ws: ClientConnection, probe) -> None:
    elsewhere = ask(ws, "eth_subscribe", "logs", {"address": "0x" + "00" * 20})["result"]
    mine = ask(
        ws, "eth_subscribe", "logs", {"address": probe.address, "topics": [probe.events.Stored().topic]}
    )["result"]
    receipt = transact(
        web3_for(rpc), rpc.sender, {"to": probe.address, "data": probe.encode_abi("store", [4])}
    )
    log = notification(ws, mine)
    assert log["transactionHash"] == receipt["transactionHash"].to_0x_hex()
    assert log["address"].lower() == probe.address.lower()
    assert log["removed"] is False
    assert ask(ws, "eth_unsubscribe", elsewhere)["result"] is True
    # The other subscription saw nothing: the next message is the answer to a fresh call.
    assert ask(ws, "eth_blockNumber", request_id=99)["result"].startswith("0x")


def test_subscription_errors_and_cap(rpc: RpcTarget, ws: ClientConnection) -> None:
    assert ask(ws, "eth_subscribe", "newPendingTransactions")["error"]["code"] == -32602
    assert ask(ws, "eth_subscribe", "logs", {"fromBlock": "0x0"})["error"]["code"] == -32602
    assert ask(ws, "eth_subscribe", 5)["error"]["code"] == -32602
    cap = rpc.limits.max_subscriptions_per_connection
    for _ in range(cap):
        assert "result" in ask(ws, "eth_subscribe", "newHeads")
    assert ask(ws, "eth_subscribe", "newHeads")["error"]["code"] == -32005


def test_oversized_message_is_refused_and_connection_survives(rpc: RpcTarget, ws: ClientConnection) -> None:
    padding = "0x" + "00" * rpc.limits.max_ws_message_bytes
    ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": [padding]}))
    answer = json.loads(ws.recv(timeout=WAIT))
    assert answer["error"]["data"]["code"] == "request_too_large"
    assert ask(ws, "eth_chainId", request_id=2)["result"] == hex(rpc.chain_id)
