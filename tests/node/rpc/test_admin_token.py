"""With an admin token configured, only requests bearing it may change the allow-list (loopback or not)."""

from __future__ import annotations

import httpx
import pytest
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from node.exceptions import ConfigError
from node.rpc import create_rpc_app
from tests.node.rpc.pyevm_node import ReferenceNode
from tests.node.rpc.serving import serve

TOKEN = "test-admin-token-0123456789"


def call(
    url: str, method: str, params: list[object], headers: dict[str, str] | None = None
) -> dict[str, object]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    response: dict[str, object] = httpx.post(url, json=body, headers=headers, timeout=30).json()
    return response


def test_token_is_required_even_from_loopback() -> None:
    node = ReferenceNode([PrivateKey(keccak(b"admin token test"))])
    app = create_rpc_app(
        reader=node, pool=node, events=node, admin=node, client_version="t", admin_token=TOKEN
    )
    account = "0x" + "44" * 20
    with serve(app) as url:
        refused = call(url, "perm_addAccountsToAllowlist", [[account]])
        assert refused["error"]["code"] == -40100  # type: ignore[index]
        wrong = call(url, "perm_addAccountsToAllowlist", [[account]], {"Authorization": "Bearer nope"})
        assert wrong["error"]["code"] == -40100  # type: ignore[index]
        granted = call(url, "perm_addAccountsToAllowlist", [[account]], {"Authorization": f"Bearer {TOKEN}"})
        assert granted["result"] == "Success"
    assert bytes.fromhex("44" * 20) in node.accounts_allowlist()


def test_short_token_is_refused_at_start() -> None:
    node = ReferenceNode([])
    with pytest.raises(ConfigError, match="at least 16"):
        create_rpc_app(
            reader=node, pool=node, events=node, admin=node, client_version="t", admin_token="short"
        )
