"""The node as a process: the session ``single_node`` fixture and the devnet commands."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from eth_account import Account

from permitchain.cli import main

pytestmark = [pytest.mark.network]


def rpc(url, method, *params):
    return httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()


def test_single_node_serves_rpc_and_metrics_and_mines_promptly(single_node):
    assert int(rpc(single_node.url, "eth_chainId")["result"], 16) == single_node.chain_id
    key = single_node.accounts[-1]
    address = Account.from_key(key.to_bytes()).address
    nonce = int(rpc(single_node.url, "eth_getTransactionCount", address, "pending")["result"], 16)
    tx = {
        "nonce": nonce,
        "gasPrice": 0,
        "gas": 21_000,
        "to": "0x" + "55" * 20,
        "value": 1,
        "chainId": single_node.chain_id,
    }
    raw = "0x" + bytes(Account.sign_transaction(tx, key.to_bytes()).raw_transaction).hex()
    tx_hash = rpc(single_node.url, "eth_sendRawTransaction", raw)["result"]
    for _ in range(400):
        receipt = rpc(single_node.url, "eth_getTransactionReceipt", tx_hash)["result"]
        if receipt:
            break
        time.sleep(0.025)
    else:
        pytest.fail("no receipt")
    assert receipt["status"] == "0x1"
    metrics = httpx.get(single_node.url + "/metrics", timeout=10).text
    assert "permitchain_chain_head_block" in metrics
    assert "permitchain_blocks_committed_total" in metrics


def test_single_node_refuses_outsiders(single_node):
    tx = {
        "nonce": 0,
        "gasPrice": 0,
        "gas": 21_000,
        "to": "0x" + "55" * 20,
        "value": 1,
        "chainId": single_node.chain_id,
    }
    raw = "0x" + bytes(Account.sign_transaction(tx, single_node.outsider.to_bytes()).raw_transaction).hex()
    error = rpc(single_node.url, "eth_sendRawTransaction", raw)["error"]
    assert error["message"] == "sender not allowed"
    assert error["data"]["code"] == "sender_not_allowed"


@pytest.mark.slow
def test_devnet_up_status_down(tmp_path, capsys):
    directory = tmp_path / "devnet"
    assert main(["devnet", "up", "--dir", str(directory), "--nodes", "1", "--dev-accounts", "2"]) == 0
    try:
        description = json.loads((directory / "devnet.json").read_text())
        assert description["chain_id"] == 7210
        assert len(description["accounts"]) == 2
        assert "DEVELOPMENT" in description["warning"]
        url = description["rpc"][0]
        assert rpc(url, "eth_blockNumber")["result"] == "0x0"
        assert main(["devnet", "status", "--dir", str(directory)]) == 0
        assert "running" in capsys.readouterr().out
        assert main(["devnet", "up", "--dir", str(directory)]) == 1
    finally:
        assert main(["devnet", "down", "--dir", str(directory)]) == 0
    assert "node-0" in capsys.readouterr().out
    with pytest.raises(httpx.HTTPError):
        rpc(url, "eth_blockNumber")
    assert main(["devnet", "status", "--dir", str(directory)]) == 1


def test_devnet_refuses_zero_nodes(tmp_path, capsys):
    # Several validators are covered by tests/node/network (the shared five-node devnet).
    assert main(["devnet", "up", "--dir", str(tmp_path / "d"), "--nodes", "0"]) == 1
    assert "--nodes" in capsys.readouterr().err
