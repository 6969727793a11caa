"""Blocks, tags, state reads, fees, net/web3/admin: results in spec shape, bad input as -32602."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from tests.node.rpc.conformance.chain_client import address_of
from tests.node.rpc.conformance.conftest import RpcTarget

UNKNOWN_HASH = "0x" + "ab" * 32
BLOCK_FIELDS = {
    "number",
    "hash",
    "parentHash",
    "nonce",
    "sha3Uncles",
    "logsBloom",
    "transactionsRoot",
    "stateRoot",
    "receiptsRoot",
    "miner",
    "difficulty",
    "extraData",
    "size",
    "gasLimit",
    "gasUsed",
    "timestamp",
    "transactions",
    "uncles",
    "mixHash",
}


def test_chain_id_and_block_number_are_quantities(rpc: RpcTarget) -> None:
    assert rpc.result("eth_chainId") == hex(rpc.chain_id)
    number = rpc.result("eth_blockNumber")
    assert number.startswith("0x")
    assert number == "0x0" or not number.startswith("0x0")


@pytest.mark.parametrize("tag", ["latest", "earliest", "finalized", "safe", "pending"])
def test_block_by_tag(rpc: RpcTarget, tag: str) -> None:
    block = rpc.result("eth_getBlockByNumber", tag, False)
    assert set(block) >= BLOCK_FIELDS
    if tag == "earliest":
        assert block["number"] == "0x0"
        assert block["parentHash"] == "0x" + "00" * 32


def test_block_by_hash_matches_by_number(rpc: RpcTarget) -> None:
    latest = rpc.result("eth_getBlockByNumber", "latest", True)
    same = rpc.result("eth_getBlockByHash", latest["hash"], True)
    assert same == latest
    hashes_only = rpc.result("eth_getBlockByHash", latest["hash"], False)
    assert hashes_only["transactions"] == [tx["hash"] for tx in latest["transactions"]]
    count = rpc.result("eth_getBlockTransactionCountByHash", latest["hash"])
    assert count == hex(len(latest["transactions"]))
    assert rpc.result("eth_getBlockTransactionCountByNumber", latest["number"]) == count


def test_unknown_blocks_and_transactions_are_null(rpc: RpcTarget) -> None:
    assert rpc.result("eth_getBlockByHash", UNKNOWN_HASH, False) is None
    assert rpc.result("eth_getBlockByNumber", "0xffffffff", False) is None
    assert rpc.result("eth_getBlockTransactionCountByHash", UNKNOWN_HASH) is None
    assert rpc.result("eth_getBlockTransactionCountByNumber", "0xffffffff") is None
    assert rpc.result("eth_getTransactionByHash", UNKNOWN_HASH) is None
    assert rpc.result("eth_getTransactionReceipt", UNKNOWN_HASH) is None
    assert rpc.result("eth_getTransactionByBlockHashAndIndex", UNKNOWN_HASH, "0x0") is None
    assert rpc.result("eth_getTransactionByBlockNumberAndIndex", "earliest", "0x0") is None
    assert rpc.result("eth_getBlockReceipts", UNKNOWN_HASH) is None
    assert rpc.result("eth_getBlockReceipts", "earliest") == []


def test_state_at_unknown_block_is_an_error(rpc: RpcTarget) -> None:
    account = address_of(rpc.sender)
    for method, params in (
        ("eth_getBalance", [account, "0xffffffff"]),
        ("eth_getCode", [account, {"blockHash": UNKNOWN_HASH}]),
        ("eth_getTransactionCount", [account, "0xffffffff"]),
        ("eth_getStorageAt", [account, "0x0", "0xffffffff"]),
        ("eth_call", [{"to": account}, "0xffffffff"]),
    ):
        error = rpc.error(method, *params)
        assert error["code"] == -32001, method
        assert error["message"] == "header not found"


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("eth_getBlockByNumber", ["newest", False]),
        ("eth_getBlockByNumber", ["0x01", False]),
        ("eth_getBlockByNumber", [1, False]),
        ("eth_getBlockByNumber", ["latest", "yes"]),
        ("eth_getBlockByHash", ["0x1234", False]),
        ("eth_getBlockByNumber", [UNKNOWN_HASH, False]),
        ("eth_getBalance", ["0x1234", "latest"]),
        ("eth_getBalance", ["0x" + "zz" * 20, "latest"]),
        ("eth_getBalance", ["0x" + "00" * 20, "tomorrow"]),
        ("eth_getBalance", ["0x" + "00" * 20, {"blockHash": "0x12"}]),
        ("eth_getStorageAt", ["0x" + "00" * 20, "0x" + "00" * 33, "latest"]),
        ("eth_call", ["not an object", "latest"]),
        ("eth_call", [{"to": "0x" + "00" * 20, "gas": -1}, "latest"]),
        ("eth_call", [{"to": "0x" + "00" * 20, "surprise": 1}, "latest"]),
        ("eth_call", [{"to": "0x" + "00" * 20, "data": "0x00", "input": "0x01"}, "latest"]),
        ("eth_getTransactionByHash", [12]),
        ("eth_getTransactionByBlockNumberAndIndex", ["latest", "zero"]),
        ("eth_feeHistory", ["0x1", "latest", [50, 10]]),
        ("eth_feeHistory", ["0x1", "latest", [101]]),
        ("web3_sha3", ["hello"]),
        ("web3_sha3", ["0x123"]),
        ("eth_getFilterChanges", [5]),
        ("eth_subscribe", ["newHeads"]),
    ],
)
def test_bad_params_are_invalid_params(rpc: RpcTarget, method: str, params: list[object]) -> None:
    error = rpc.error(method, *params)
    expected = -32004 if method == "eth_subscribe" else -32602
    assert error["code"] == expected, error
    assert "Traceback" not in error["message"]


def test_quantity_over_256_bits_is_refused(rpc: RpcTarget) -> None:
    assert rpc.error("eth_getBlockByNumber", "0x1" + "0" * 64, False)["code"] == -32602


def test_balance_code_storage_of_accounts(rpc: RpcTarget) -> None:
    funded = address_of(rpc.sender)
    assert int(rpc.result("eth_getBalance", funded, "latest"), 16) > 0
    assert rpc.result("eth_getBalance", "0x" + "77" * 20) == "0x0"
    assert rpc.result("eth_getCode", funded, "latest") == "0x"
    word = rpc.result("eth_getStorageAt", funded, "0x0", "latest")
    assert word == "0x" + "00" * 32
    # a 32-byte slot written out in full is accepted too (ethers and others send both forms)
    assert rpc.result("eth_getStorageAt", funded, "0x" + "00" * 32, "earliest") == word


def test_fee_methods(rpc: RpcTarget) -> None:
    gas_price = int(rpc.result("eth_gasPrice"), 16)
    tip = int(rpc.result("eth_maxPriorityFeePerGas"), 16)
    assert 0 <= tip <= max(gas_price, tip)
    history = rpc.result("eth_feeHistory", "0x4", "latest", [25, 75])
    head = int(rpc.result("eth_blockNumber"), 16)
    blocks = min(4, head + 1)
    assert int(history["oldestBlock"], 16) == head - blocks + 1
    assert len(history["baseFeePerGas"]) == blocks + 1
    assert len(history["gasUsedRatio"]) == blocks
    assert all(0 <= ratio <= 1 for ratio in history["gasUsedRatio"])
    assert len(history["reward"]) == blocks
    assert all(len(rewards) == 2 for rewards in history["reward"])
    no_rewards = rpc.result("eth_feeHistory", 2, "latest")
    assert "reward" not in no_rewards


def test_keyless_non_mining_node_constants(rpc: RpcTarget) -> None:
    assert rpc.result("eth_accounts") == []
    assert rpc.result("eth_mining") is False
    assert rpc.result("eth_hashrate") == "0x0"
    assert rpc.result("eth_syncing") is False


def test_net_and_web3(rpc: RpcTarget) -> None:
    assert rpc.result("net_version").isdigit()
    assert rpc.result("net_listening") is True
    assert int(rpc.result("net_peerCount"), 16) >= 0
    assert rpc.result("web3_clientVersion")
    assert rpc.result("web3_sha3", "0x68656c6c6f") == "0x" + keccak(b"hello").hex()
    assert rpc.result("web3_sha3", "0x") == "0x" + keccak(b"").hex()


def test_admin_node_info_has_besu_shape(rpc: RpcTarget) -> None:
    info = rpc.result("admin_nodeInfo")
    assert info["enode"].startswith(f"enode://{info['id']}@")
    assert set(info["ports"]) == {"discovery", "listener"}
    eth = info["protocols"]["eth"]
    genesis = rpc.result("eth_getBlockByNumber", "earliest", False)
    assert eth["genesis"] == genesis["hash"]
    assert eth["network"] == int(rpc.result("net_version"))
    assert isinstance(eth["config"], dict)
    assert isinstance(rpc.result("admin_peers"), list)
