"""When the node ends a subscription on its own, the WebSocket closes (1013) so the client resubscribes."""

from __future__ import annotations

import json

import pytest
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from node.rpc import create_rpc_app
from tests.node.rpc.pyevm_node import ReferenceNode
from tests.node.rpc.serving import serve


def test_node_side_end_closes_the_connection() -> None:
    node = ReferenceNode([PrivateKey(keccak(b"subscription end"))])
    app = create_rpc_app(reader=node, pool=node, events=node, admin=node, client_version="t")
    with serve(app) as url, connect("ws" + url.removeprefix("http")) as ws:
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}))
        assert json.loads(ws.recv(timeout=30))["result"].startswith("0x")
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"}))
        assert json.loads(ws.recv(timeout=30))["id"] == 2  # the forwarding task has subscribed by now
        node.end_subscriptions_threadsafe()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
