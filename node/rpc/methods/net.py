"""The ``net_`` namespace: network id, listening, peer count (what clients and platform checks ask)."""

from __future__ import annotations

from node.rpc import outbound
from node.rpc.admin_api import NodeAdminAPI
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.inbound import Params


def namespace(admin: NodeAdminAPI) -> Namespace:
    def version(params: Params, ctx: CallContext) -> str:
        params.take(0)
        return str(admin.node_info().network_id)  # decimal string, as the spec has it

    def listening(params: Params, ctx: CallContext) -> bool:
        params.take(0)
        return True

    def peer_count(params: Params, ctx: CallContext) -> str:
        params.take(0)
        return outbound.hex_quantity(len(admin.peers()))

    return Namespace(
        "net",
        {"version": Method(version), "listening": Method(listening), "peerCount": Method(peer_count)},
    )
