"""The registry contracts through real clients: web3.py and ethers.js v6 deploy, anchor, read, revoke.

This is the end-to-end promise of the RPC layer: unmodified client libraries do the whole permit life
cycle against the node. The ethers.js half runs ``tests/js/registry_flow.mjs`` with Node.js.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from contracts.artifacts import ARTIFACTS_DIR, load_artifact
from contracts.deploy import TransactionSender, deploy_registries
from tests.conftest import REPO_ROOT
from tests.node.rpc.conformance.chain_client import web3_for
from tests.node.rpc.conformance.conftest import RpcTarget

JS_DIR = REPO_ROOT / "tests" / "js"
STATUS_VALID = 1
STATUS_REVOKED = 5
ISSUER_ID = b"123456789012"


@pytest.mark.slow
def test_web3_registry_flow(rpc: RpcTarget) -> None:
    w3: Web3 = web3_for(rpc)
    registrar = Account.from_key(rpc.sender.to_bytes())
    addresses = deploy_registries(w3, admin=registrar, registrars=[registrar], receipt_timeout_s=30)
    assert addresses.chain_id == rpc.chain_id
    permit = w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi)
    sender = TransactionSender(w3, registrar, receipt_timeout_s=30)

    now = w3.eth.get_block("latest")["timestamp"]
    permit_hash = keccak(f"web3 flow permit {now}".encode())
    number = f"KZ-WEB3-{now}"
    anchor_args = [permit_hash, number, ISSUER_ID, now - 86400, now + 3 * 365 * 86400, "Test LLP", "test"]
    receipt = sender.send({"to": permit.address, "data": permit.encode_abi("anchor", anchor_args)}, "anchor")
    assert receipt["status"] == 1
    (anchored,) = permit.events.PermitAnchored().process_receipt(receipt, errors=DISCARD)
    assert anchored["args"]["permit_number"] == number

    status = permit.functions.status_at(permit_hash, now).call()
    assert status[0] == STATUS_VALID
    with pytest.raises(ContractLogicError, match="permit already anchored"):
        permit.functions.anchor(*anchor_args).call({"from": registrar.address})

    receipt = sender.send(
        {"to": permit.address, "data": permit.encode_abi("revoke", [permit_hash, 3])}, "revoke"
    )
    revoked_at = w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert permit.functions.status_at(permit_hash, revoked_at).call()[0] == STATUS_REVOKED
    assert permit.functions.status_at(permit_hash, now).call()[0] == STATUS_VALID  # history is kept

    logs = w3.eth.get_logs({"address": permit.address, "fromBlock": 0, "toBlock": "latest"})
    assert {receipt["transactionHash"]} <= {log["transactionHash"] for log in logs}


@pytest.mark.slow
@pytest.mark.js
def test_ethers_registry_flow(rpc: RpcTarget) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the ethers.js client test needs `node` on PATH")
    if not (JS_DIR / "node_modules" / "ethers").is_dir():
        pytest.skip("ethers is not installed: run `scripts/ensure-env --js` (npm ci in tests/js)")
    completed = subprocess.run(
        [
            node,
            "registry_flow.mjs",
            "--rpc",
            rpc.url,
            "--ws",
            rpc.ws_url,
            "--key",
            "0x" + rpc.sender.to_bytes().hex(),
            "--artifacts",
            str(ARTIFACTS_DIR),
        ],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    summary: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["chainId"] == str(rpc.chain_id)
    assert summary["anchorStatus"] == 1
    assert summary["wsAnchorTx"] == summary["anchorTx"]  # ethers' eth_subscribe("logs") saw the event
    assert summary["anchoredEvent"] == summary["permitNumber"]
    assert summary["statusBefore"] == STATUS_VALID
    assert summary["duplicateAnchorReason"] == "permit already anchored"
    assert summary["revokeStatus"] == 1
    assert summary["statusAfter"] == STATUS_REVOKED
    assert summary["revokeReason"] == 7
    w3 = web3_for(rpc)
    receipt = w3.eth.get_transaction_receipt(summary["anchorTx"])
    assert receipt["to"] == summary["permitRegistry"]
