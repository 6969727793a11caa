"""An eth_getLogs answer over the configured number of logs is a limit error, not a huge response."""

from __future__ import annotations

from pathlib import Path

import httpx
import vyper
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from node.rpc import RpcLimits, create_rpc_app
from tests.node.rpc.conformance.chain_client import transact, web3_for
from tests.node.rpc.conformance.conftest import RpcTarget
from tests.node.rpc.pyevm_node import ReferenceNode
from tests.node.rpc.serving import serve

PROBE = Path(__file__).parent / "conformance" / "contracts" / "Probe.vy"


def test_too_many_logs_is_limit_exceeded() -> None:
    key = PrivateKey(keccak(b"log limit sender"))
    node = ReferenceNode([key], auto_produce=True)
    limits = RpcLimits(max_logs_per_query=2)
    app = create_rpc_app(reader=node, pool=node, events=node, admin=node, client_version="t", limits=limits)
    compiled = vyper.compile_code(PROBE.read_text(), output_formats=["abi", "bytecode"])
    with serve(app) as url:
        target = RpcTarget(url=url, chain_id=node.chain_id, sender=key, outsider=key, limits=limits)
        w3 = web3_for(target)
        address = transact(w3, key, {"data": compiled["bytecode"]})["contractAddress"]
        probe = w3.eth.contract(address=address, abi=compiled["abi"])
        for amount in (1, 2, 3):
            transact(w3, key, {"to": address, "data": probe.encode_abi("store", [amount])})
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getLogs",
            "params": [{"fromBlock": "0x0", "address": address}],
        }
        error = httpx.post(url, json=body, timeout=30).json()["error"]
        assert error["code"] == -32005
        assert error["data"] == {"code": "too_many_logs", "limit": 2}
        body["params"] = [{"fromBlock": "0x0", "toBlock": "0x3", "address": address}]
        assert len(httpx.post(url, json=body, timeout=30).json()["result"]) == 2
