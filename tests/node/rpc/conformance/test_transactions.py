"""Deploy, transact, wait, call, estimate, revert and read logs with web3.py, as a client would."""

from __future__ import annotations

from typing import Any, cast

import pytest
from eth_account import Account
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import TxParams

from tests.node.rpc.conformance.chain_client import address_of, sign, transact, web3_for
from tests.node.rpc.conformance.conftest import RpcTarget


@pytest.fixture(scope="module")
def w3(rpc: RpcTarget) -> Web3:
    return web3_for(rpc)


@pytest.fixture(scope="module")
def probe(rpc: RpcTarget, w3: Web3, probe_artifact: dict[str, Any]) -> Contract:
    factory = w3.eth.contract(abi=probe_artifact["abi"], bytecode=probe_artifact["bytecode"])
    receipt = transact(w3, rpc.sender, {"data": factory.bytecode})
    assert receipt["status"] == 1
    assert receipt["contractAddress"] is not None
    return w3.eth.contract(address=receipt["contractAddress"], abi=probe_artifact["abi"])


def store_tx(probe: Contract, amount: int) -> dict[str, Any]:
    return {"to": probe.address, "data": probe.encode_abi("store", [amount])}


def test_deployed_code_is_readable(w3: Web3, probe: Contract) -> None:
    assert len(w3.eth.get_code(probe.address)) > 0
    assert w3.eth.get_code(probe.address, "earliest") == b""


def test_transact_then_receipt_logs_and_state(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    receipt = transact(w3, rpc.sender, store_tx(probe, 42))
    assert receipt["status"] == 1
    assert receipt["from"] == address_of(rpc.sender)
    assert receipt["to"] == probe.address
    assert 21_000 < receipt["gasUsed"] <= receipt["cumulativeGasUsed"]
    (event,) = probe.events.Stored().process_receipt(receipt)
    assert event["args"]["value"] == 42
    assert event["args"]["who"] == address_of(rpc.sender)
    assert probe.functions.stored().call() == 42
    assert probe.functions.stored().call(block_identifier=receipt["blockNumber"] - 1) != 42 or (
        receipt["blockNumber"] == 1
    )
    slot0 = w3.eth.get_storage_at(probe.address, 0)
    assert int.from_bytes(slot0, "big") == 42
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["blockNumber"] == receipt["blockNumber"]
    assert tx["from"] == address_of(rpc.sender)
    by_index = w3.eth.get_transaction_by_block(receipt["blockHash"], receipt["transactionIndex"])
    assert by_index["hash"] == receipt["transactionHash"]
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    full_tx: Any = block["transactions"][receipt["transactionIndex"]]
    assert full_tx["hash"] == receipt["transactionHash"]
    assert w3.eth.get_block_transaction_count(receipt["blockNumber"]) == len(block["transactions"])
    block_receipts = rpc.result("eth_getBlockReceipts", hex(receipt["blockNumber"]))
    assert receipt["transactionHash"].to_0x_hex() in [r["transactionHash"] for r in block_receipts]


def test_revert_reason_is_code_3_with_data(rpc: RpcTarget, probe: Contract) -> None:
    call = {"from": address_of(rpc.sender), **store_tx(probe, 13)}
    call["data"] = call["data"] if isinstance(call["data"], str) else "0x" + call["data"].hex()
    for method in ("eth_call", "eth_estimateGas"):
        error = rpc.error(method, call, "latest")
        assert error["code"] == 3
        assert error["message"] == "execution reverted: unlucky number"
        assert error["data"].startswith("0x08c379a0")


def test_revert_without_reason(rpc: RpcTarget, probe: Contract) -> None:
    call = {"to": probe.address, "data": probe.encode_abi("fail_without_reason", [])}
    error = rpc.error("eth_call", call)
    assert error["code"] == 3
    assert error["message"] == "execution reverted"
    assert error["data"] == "0x"


def test_web3_raises_contract_logic_error_with_reason(probe: Contract) -> None:
    with pytest.raises(ContractLogicError, match="unlucky number"):
        probe.functions.store(13).call()


def test_state_override_is_refused(rpc: RpcTarget, probe: Contract) -> None:
    call = {"to": probe.address, "data": probe.encode_abi("stored", [])}
    error = rpc.error("eth_call", call, "latest", {probe.address: {"balance": "0x1"}})
    assert error["code"] == -32602
    assert "override" in error["message"]


def test_estimate_gas_suffices(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    estimate = w3.eth.estimate_gas(cast(TxParams, {"from": address_of(rpc.sender), **store_tx(probe, 7)}))
    receipt = transact(w3, rpc.sender, {**store_tx(probe, 7), "gas": estimate})
    assert receipt["status"] == 1
    assert receipt["gasUsed"] <= estimate


def test_nonces_latest_and_pending(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    sender = address_of(rpc.sender)
    latest = w3.eth.get_transaction_count(sender, "latest")
    assert w3.eth.get_transaction_count(sender, "pending") >= latest
    receipt = transact(w3, rpc.sender, store_tx(probe, 8))
    assert w3.eth.get_transaction_count(sender, receipt["blockNumber"]) == latest + 1


def test_get_logs_filters_by_address_topic_range_and_block_hash(
    rpc: RpcTarget, w3: Web3, probe: Contract
) -> None:
    receipt = transact(w3, rpc.sender, store_tx(probe, 99))
    number = receipt["blockNumber"]
    topic = probe.events.Stored().topic
    who = "0x" + "00" * 12 + address_of(rpc.sender)[2:].lower()
    logs = w3.eth.get_logs({"fromBlock": number, "toBlock": number, "address": probe.address})
    assert [log["transactionHash"] for log in logs] == [receipt["transactionHash"]]
    assert w3.eth.get_logs({"blockHash": receipt["blockHash"], "topics": [topic, who]}) == logs
    assert w3.eth.get_logs({"fromBlock": number, "toBlock": number, "topics": [None, "0x" + "11" * 32]}) == []
    other = Web3.to_checksum_address("0x" + "22" * 20)
    assert w3.eth.get_logs({"fromBlock": number, "toBlock": number, "address": other}) == []
    everything = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": probe.address})
    assert receipt["transactionHash"] in [log["transactionHash"] for log in everything]


def test_get_logs_range_cap_and_bad_ranges(rpc: RpcTarget) -> None:
    cap = rpc.limits.max_log_block_range
    head = int(rpc.result("eth_blockNumber"), 16)
    if head >= cap:
        error = rpc.error("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(cap)})
        assert error["code"] == -32005
    assert rpc.error("eth_getLogs", {"fromBlock": "0x2", "toBlock": "0x1"})["code"] == -32602
    assert rpc.error("eth_getLogs", {"blockHash": "0x" + "00" * 32, "fromBlock": "0x1"})["code"] == -32602
    assert rpc.error("eth_getLogs", {"blockHash": "0x" + "ab" * 32})["code"] == -32001
    assert rpc.error("eth_getLogs", {"topics": [["0x12"]]})["code"] == -32602
    assert rpc.error("eth_getLogs", {"nonsense": 1})["code"] == -32602
    assert rpc.result("eth_getLogs", {"fromBlock": hex(head + 100), "toBlock": "latest"}) == []


def test_polling_filters_see_new_blocks_and_logs(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    block_filter = rpc.result("eth_newBlockFilter")
    log_filter = rpc.result("eth_newFilter", {"address": probe.address})
    assert rpc.result("eth_getFilterChanges", log_filter) == []
    receipt = transact(w3, rpc.sender, store_tx(probe, 5))
    hashes = rpc.result("eth_getFilterChanges", block_filter)
    assert receipt["blockHash"].to_0x_hex() in hashes
    changes = rpc.result("eth_getFilterChanges", log_filter)
    assert [c["transactionHash"] for c in changes] == [receipt["transactionHash"].to_0x_hex()]
    assert rpc.result("eth_getFilterChanges", log_filter) == []
    assert rpc.result("eth_uninstallFilter", log_filter) is True
    assert rpc.result("eth_uninstallFilter", log_filter) is False
    assert rpc.error("eth_getFilterChanges", log_filter)["code"] == -32001
    all_logs = rpc.result(
        "eth_getFilterLogs", rpc.result("eth_newFilter", {"fromBlock": "0x0", "address": probe.address})
    )
    assert len(all_logs) >= 2
    assert rpc.error("eth_getFilterLogs", block_filter)["code"] == -32602


def test_pool_rejections_are_minus_32000_with_codes(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    sender = address_of(rpc.sender)
    chain_id = w3.eth.chain_id
    base = {
        "to": probe.address,
        "data": probe.encode_abi("store", [1]),
        "gas": 100_000,
        "maxFeePerGas": 0,
        "maxPriorityFeePerGas": 0,
        "value": 0,
    }

    def rejection(key_bytes: bytes, **tx: Any) -> dict[str, Any]:
        raw = Account.sign_transaction({**base, **tx}, key_bytes).raw_transaction
        return rpc.error("eth_sendRawTransaction", "0x" + raw.hex())

    nonce = w3.eth.get_transaction_count(sender, "pending")
    wrong_chain = rejection(rpc.sender.to_bytes(), nonce=nonce, chainId=chain_id + 1)
    assert wrong_chain["code"] == -32000
    assert "chain id" in wrong_chain["message"]
    assert wrong_chain["data"]["code"] == "invalid_chain_id"

    if nonce > 0:
        low = rejection(rpc.sender.to_bytes(), nonce=0, chainId=chain_id)
        assert low["code"] == -32000
        assert low["message"] == "nonce too low"
        assert low["data"]["code"] == "nonce_too_low"

    outsider = rejection(rpc.outsider.to_bytes(), nonce=0, chainId=chain_id)
    assert outsider["code"] == -32000
    assert outsider["message"] == "sender not allowed"
    assert outsider["data"]["code"] == "sender_not_allowed"

    raw = bytearray(
        Account.sign_transaction(
            {**base, "nonce": nonce, "chainId": chain_id}, rpc.sender.to_bytes()
        ).raw_transaction
    )
    raw[-40] ^= 0xFF  # inside s: the signature no longer verifies (or recovers someone else)
    tampered = rpc.error("eth_sendRawTransaction", "0x" + raw.hex())
    assert tampered["code"] == -32000
    assert tampered["data"]["code"] in {"invalid_signature", "sender_not_allowed"}

    garbage = rpc.error("eth_sendRawTransaction", "0x02deadbeef")
    assert garbage["code"] == -32000
    assert rpc.error("eth_sendRawTransaction", "0x")["code"] == -32602
    assert rpc.error("eth_sendRawTransaction", "0xzz")["code"] == -32602


def test_send_transaction_is_refused_clearly(rpc: RpcTarget) -> None:
    error = rpc.error("eth_sendTransaction", {"from": address_of(rpc.sender), "to": address_of(rpc.sender)})
    assert error["code"] == -32004
    assert "eth_sendRawTransaction" in error["message"]
    assert error["data"]["code"] == "no_unlocked_accounts"


def test_pending_transaction_is_visible_before_its_block(rpc: RpcTarget, w3: Web3, probe: Contract) -> None:
    raw = sign(w3, rpc.sender, store_tx(probe, 11))
    tx_hash = w3.eth.send_raw_transaction(raw)
    seen = rpc.result("eth_getTransactionByHash", tx_hash.to_0x_hex())
    assert seen is not None
    assert seen["hash"] == tx_hash.to_0x_hex()
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    assert receipt["status"] == 1
