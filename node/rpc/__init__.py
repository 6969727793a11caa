"""The node's Ethereum JSON-RPC server (HTTP and WebSocket on one port).

Call :func:`create_rpc_app` with the node's reader, pool, events and admin API and serve the result
with uvicorn; add a namespace with :meth:`RpcApp.register`.
"""

from node.rpc.admin_api import NodeAdminAPI, NodeInfo, SyncProgress
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.inbound import Params
from node.rpc.limits import RpcLimits
from node.rpc.server import RpcApp, create_rpc_app

__all__ = [
    "CallContext",
    "Method",
    "Namespace",
    "NodeAdminAPI",
    "NodeInfo",
    "Params",
    "RpcApp",
    "RpcLimits",
    "SyncProgress",
    "create_rpc_app",
]
