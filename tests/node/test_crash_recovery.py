"""kill -9 a real node process under load, restart it, and check nothing committed was lost."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from eth_account import Account

from node.config import load_node_config
from node.devnet.network import kill_node_process, start_node, stop_node_process, wait_until_serving
from tests.node.conftest import start_single_node

pytestmark = [pytest.mark.slow, pytest.mark.network]

TXS_PER_ACCOUNT = 150
ACCOUNTS = 12
"""Enough load that the sender is still sending when 120 transactions are committed: the node takes
transactions faster than it commits them, so a smaller stream was all sent (and the kill came after
the load) before the poller saw 120."""


def rpc(url: str, method: str, *params):
    body = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    )
    return body.json()


def signed_stream(node, accounts):
    raws = []
    for nonce in range(TXS_PER_ACCOUNT):
        for key in accounts:
            tx = {
                "nonce": nonce,
                "gasPrice": 0,
                "gas": 21_000,
                "to": "0x" + "44" * 20,
                "value": 1,
                "data": b"",
                "chainId": node.chain_id,
            }
            signed = Account.sign_transaction(tx, key.to_bytes())
            raws.append(("0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()))
    return raws


def test_kill_9_under_load_loses_no_committed_transaction(tmp_path):
    node, config = start_single_node(tmp_path / "net", dev_accounts=ACCOUNTS)
    raws = signed_stream(node, node.accounts)
    seen: dict[str, str] = {}  # tx hash -> block hash, for transactions seen committed before the kill
    sent: list[str] = []
    stop = threading.Event()

    def send():
        with httpx.Client(timeout=10) as client:
            for raw, tx_hash in raws:
                if stop.is_set():
                    return
                try:
                    client.post(
                        node.url,
                        json={"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]},
                    )
                    sent.append(tx_hash)
                except httpx.HTTPError:
                    return

    sender = threading.Thread(target=send)
    sender.start()
    try:
        with httpx.Client(timeout=10) as client:

            def call(method, *params):
                body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
                return client.post(node.url, json=body).json()["result"]

            checked = 0
            while len(seen) < 120 and sender.is_alive():
                head = int(call("eth_blockNumber"), 16)
                for number in range(checked + 1, head + 1):
                    block = call("eth_getBlockByNumber", hex(number), False)
                    seen.update(dict.fromkeys(block["transactions"], block["hash"]))
                checked = head
                time.sleep(0.02)
            last = call("eth_getBlockByNumber", "latest", False)
        kill_node_process(node.pid)  # during the load: the sender is still sending
    finally:
        stop.set()
        sender.join()
    assert len(seen) >= 120
    assert len(sent) < len(raws)  # the kill came while the sender was still sending

    restarted = start_node(load_node_config(config.path))
    try:
        wait_until_serving(restarted)
        for tx_hash, block_hash in seen.items():
            receipt = rpc(restarted.url, "eth_getTransactionReceipt", tx_hash)["result"]
            assert receipt is not None, tx_hash
            assert receipt["blockHash"] == block_hash
            assert receipt["status"] == "0x1"
        number = int(last["number"], 16)
        again = rpc(restarted.url, "eth_getBlockByNumber", hex(number), False)["result"]
        assert again["hash"] == last["hash"]
        assert again["stateRoot"] == last["stateRoot"]
        head = int(rpc(restarted.url, "eth_blockNumber")["result"], 16)
        assert head >= number
        parent = None
        for n in range(head + 1):
            block = rpc(restarted.url, "eth_getBlockByNumber", hex(n), False)["result"]
            if parent is not None:
                assert block["parentHash"] == parent
            parent = block["hash"]
        # the node goes on: the next nonce of an account is accepted and mined
        key = node.accounts[0]
        address = Account.from_key(key.to_bytes()).address
        nonce = int(rpc(restarted.url, "eth_getTransactionCount", address, "latest")["result"], 16)
        tx = Account.sign_transaction(
            {
                "nonce": nonce,
                "gasPrice": 0,
                "gas": 21_000,
                "to": "0x" + "44" * 20,
                "value": 1,
                "chainId": node.chain_id,
            },
            key.to_bytes(),
        )
        tx_hash = rpc(restarted.url, "eth_sendRawTransaction", "0x" + bytes(tx.raw_transaction).hex())[
            "result"
        ]
        for _ in range(200):
            if rpc(restarted.url, "eth_getTransactionReceipt", tx_hash)["result"]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the restarted node did not mine a new transaction")
    finally:
        stop_node_process(restarted.pid, config.path)
