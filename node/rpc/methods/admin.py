"""The ``admin_`` namespace in Besu's shapes, so tools (and our platform checks) read it unchanged.

Both methods are read-only and public: they reveal the node's enode and peers, which every peer of the
network already knows; nothing here changes the node.
"""

from __future__ import annotations

from typing import Any

from node.abc import ChainReaderAPI
from node.rpc import outbound
from node.rpc.admin_api import NodeAdminAPI, PeerView
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.inbound import Params


def enode_url(node_id: str, host: str, port: int, discovery_port: int | None = None) -> str:
    url = f"enode://{node_id}@{host}:{port}"
    if discovery_port is not None and discovery_port != port:
        url += f"?discport={discovery_port}"
    return url


def node_info_object(admin: NodeAdminAPI, reader: ChainReaderAPI) -> dict[str, Any]:
    info = admin.node_info()
    head = reader.head()
    return {
        "enode": enode_url(info.node_id, info.host, info.p2p_port, info.discovery_port),
        "id": info.node_id,
        "name": info.name,
        "ip": info.host,
        "listenAddr": f"{info.host}:{info.p2p_port}",
        "ports": {"discovery": info.discovery_port, "listener": info.p2p_port},
        "protocols": {
            "eth": {
                "config": dict(info.genesis_config),
                "difficulty": head.difficulty,
                "genesis": outbound.hex_data(reader.genesis_hash),
                "head": outbound.hex_data(head.hash),
                "network": info.network_id,
            }
        },
    }


def peer_object(peer: PeerView) -> dict[str, Any]:
    return {
        "id": peer.node_id,
        "enode": f"enode://{peer.node_id}@{peer.address}",
        "name": "",
        "caps": [],
        "network": {"remoteAddress": peer.address, "inbound": peer.direction == "inbound"},
        "connectedSince": peer.connected_since,
    }


def namespace(admin: NodeAdminAPI, reader: ChainReaderAPI) -> Namespace:
    def node_info(params: Params, ctx: CallContext) -> dict[str, Any]:
        params.take(0)
        return node_info_object(admin, reader)

    def peers(params: Params, ctx: CallContext) -> list[dict[str, Any]]:
        params.take(0)
        return [peer_object(peer) for peer in admin.peers()]

    return Namespace("admin", {"nodeInfo": Method(node_info), "peers": Method(peers)})
