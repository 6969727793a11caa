"""Besu's local account permissioning (``perm_``): read the allow-list; admins add and remove accounts.

Adding and removing are ``admin`` methods: the server grants admin rights to a request carrying the
configured admin token, or, when no token is configured, to loopback clients that are not browsers
(see :mod:`node.rpc.server`).
"""

from __future__ import annotations

from node.rpc import inbound, outbound
from node.rpc.admin_api import NodeAdminAPI
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.errors import InvalidParams
from node.rpc.inbound import Params

MAX_ACCOUNTS_PER_CALL = 256
SUCCESS = "Success"  # Besu's result for allow-list changes
MAX_ENODE_CHARS = 512


def namespace(admin: NodeAdminAPI) -> Namespace:
    def get_accounts(params: Params, ctx: CallContext) -> list[str]:
        params.take(0)
        return [outbound.hex_address(account) for account in admin.accounts_allowlist()]

    def add_accounts(params: Params, ctx: CallContext) -> str:
        (accounts,) = params.take(1)
        admin.add_accounts_to_allowlist(
            inbound.address_list(accounts, "accounts", limit=MAX_ACCOUNTS_PER_CALL)
        )
        return SUCCESS

    def remove_accounts(params: Params, ctx: CallContext) -> str:
        (accounts,) = params.take(1)
        admin.remove_accounts_from_allowlist(
            inbound.address_list(accounts, "accounts", limit=MAX_ACCOUNTS_PER_CALL)
        )
        return SUCCESS

    def get_nodes(params: Params, ctx: CallContext) -> list[str]:
        params.take(0)
        return [f"enode://{node_id}" for node_id in admin.nodes_allowlist()]

    def _node_list(value: object) -> list[str]:
        if (
            not isinstance(value, list)
            or not 0 < len(value) <= MAX_ACCOUNTS_PER_CALL
            or not all(isinstance(v, str) and len(v) <= MAX_ENODE_CHARS for v in value)
        ):
            raise InvalidParams(f"nodes: expected 1 to {MAX_ACCOUNTS_PER_CALL} enode URLs or node ids")
        return [str(v) for v in value]

    def add_nodes(params: Params, ctx: CallContext) -> str:
        (nodes,) = params.take(1)
        admin.add_nodes_to_allowlist(_node_list(nodes))
        return SUCCESS

    def remove_nodes(params: Params, ctx: CallContext) -> str:
        (nodes,) = params.take(1)
        admin.remove_nodes_from_allowlist(_node_list(nodes))
        return SUCCESS

    return Namespace(
        "perm",
        {
            "getNodesAllowlist": Method(get_nodes),
            "addNodesToAllowlist": Method(add_nodes, admin=True),
            "removeNodesFromAllowlist": Method(remove_nodes, admin=True),
            "getAccountsAllowlist": Method(get_accounts),
            "addAccountsToAllowlist": Method(add_accounts, admin=True),
            "removeAccountsFromAllowlist": Method(remove_accounts, admin=True),
        },
    )
