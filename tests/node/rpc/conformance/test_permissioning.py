"""Account permissioning over RPC: the allow-list is readable; changing it needs admin rights."""

from __future__ import annotations

import json

from eth_account import Account
from eth_utils.crypto import keccak
from websockets.sync.client import connect

from tests.node.rpc.conformance.chain_client import address_of
from tests.node.rpc.conformance.conftest import RpcTarget


def test_allowlist_add_remove_round_trip(rpc: RpcTarget) -> None:
    newcomer = Account.from_key(keccak(b"permissioning newcomer")).address.lower()
    listed = rpc.result("perm_getAccountsAllowlist")
    assert address_of(rpc.sender).lower() in listed
    assert newcomer not in listed
    assert (
        rpc.call("perm_addAccountsToAllowlist", [newcomer], headers=rpc.admin_headers)["result"] == "Success"
    )
    assert newcomer in rpc.result("perm_getAccountsAllowlist")
    again = rpc.call("perm_addAccountsToAllowlist", [newcomer], headers=rpc.admin_headers)["error"]
    assert again["code"] == -32000
    assert again["data"]["code"]
    assert (
        rpc.call("perm_removeAccountsFromAllowlist", [newcomer], headers=rpc.admin_headers)["result"]
        == "Success"
    )
    assert newcomer not in rpc.result("perm_getAccountsAllowlist")
    absent = rpc.call("perm_removeAccountsFromAllowlist", [newcomer], headers=rpc.admin_headers)["error"]
    assert absent["code"] == -32000


def test_allowlist_changes_validate_input(rpc: RpcTarget) -> None:
    for bad in ([], ["0x12"], "0x" + "00" * 20, ["0x" + "11" * 20, "0x" + "11" * 20]):
        error = rpc.call("perm_addAccountsToAllowlist", bad, headers=rpc.admin_headers)["error"]
        assert error["code"] == -32602, bad


def test_browser_origin_gets_no_admin_rights(rpc: RpcTarget) -> None:
    evil = {"Origin": "http://evil.example"}
    error = rpc.error("perm_addAccountsToAllowlist", ["0x" + "33" * 20], headers=evil)
    assert error["code"] == -40100
    with connect(rpc.ws_url, additional_headers=evil) as ws:
        ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "perm_removeAccountsFromAllowlist",
                    "params": [[address_of(rpc.sender)]],
                }
            )
        )
        assert json.loads(ws.recv(timeout=30))["error"]["code"] == -40100
    assert address_of(rpc.sender).lower() in rpc.result("perm_getAccountsAllowlist")
