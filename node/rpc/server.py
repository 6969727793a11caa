"""The JSON-RPC transports: HTTP ``POST /`` and a WebSocket on the same port, as one ASGI app.

Both only move bytes: they enforce size limits, decide the caller's admin rights and hand text to the
:class:`~node.rpc.dispatch.Dispatcher`. Admin rights (``perm_add…``/``perm_remove…``): when an admin token
is configured, only a request with ``Authorization: Bearer <token>`` has them, from anywhere; without a
token, only loopback clients that send no ``Origin`` header (so no web page in a local browser can reach
them, even over a WebSocket, which browsers do not guard with CORS).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import time
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from node.abc import ChainReaderAPI, NodeEventsAPI, TxPoolAPI
from node.exceptions import ConfigError
from node.rpc.admin_api import NodeAdminAPI
from node.rpc.dispatch import JSONRPC_VERSION, CallContext, Dispatcher, Namespace, encode_response
from node.rpc.errors import InvalidRequest, RequestTooLarge, error_object
from node.rpc.filters import FilterRegistry
from node.rpc.limits import RpcLimits
from node.rpc.methods import admin as admin_methods
from node.rpc.methods import net as net_methods
from node.rpc.methods import perm as perm_methods
from node.rpc.methods import web3 as web3_methods
from node.rpc.methods.eth import Clock, EthMethods
from node.rpc.subscriptions import ConnectionSubscriptions

JSON_MEDIA_TYPE = "application/json"
WS_TRY_AGAIN_LATER = 1013
# What geth accepts; none of these can be sent by a web page without a CORS preflight.
ACCEPTED_MEDIA_TYPES = frozenset({"application/json", "application/json-rpc", "application/jsonrequest"})


class RpcApp:
    """The ASGI app of the node's RPC port; ``register`` adds a namespace (e.g. ``qbft``) in one call."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        events: NodeEventsAPI,
        limits: RpcLimits,
        admin_token: str | None,
    ) -> None:
        if admin_token is not None and len(admin_token) < 16:
            raise ConfigError("the RPC admin token must be at least 16 characters")
        self.dispatcher = dispatcher
        self._events = events
        self._limits = limits
        self._admin_token = admin_token
        self._app = Starlette(
            routes=[
                Route("/", self._http, methods=["POST"]),
                WebSocketRoute("/", self._websocket),
            ]
        )

    def register(self, namespace: Namespace) -> None:
        self.dispatcher.register(namespace)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    def _is_admin(self, headers: Headers, client_host: str | None) -> bool:
        if self._admin_token is not None:
            given = headers.get("authorization", "")
            return hmac.compare_digest(given.encode(), f"Bearer {self._admin_token}".encode())
        if "origin" in headers or client_host is None:
            return False
        try:
            return ipaddress.ip_address(client_host).is_loopback
        except ValueError:
            return False

    async def _http(self, request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in ACCEPTED_MEDIA_TYPES:
            return _error(415, InvalidRequest("invalid request: Content-Type must be application/json"))
        declared = request.headers.get("content-length")
        limit = self._limits.max_body_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _error(413, _too_large(limit))
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return _error(413, _too_large(limit))
        except ClientDisconnect:
            return Response(status_code=400)
        ctx = CallContext(
            is_admin=self._is_admin(request.headers, request.client.host if request.client else None)
        )
        response = await self.dispatcher.handle_text(bytes(body), ctx)
        if response is None:
            return Response(status_code=204)
        return Response(encode_response(response), media_type=JSON_MEDIA_TYPE)

    async def _websocket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        lock = asyncio.Lock()

        async def send(message: Any) -> None:
            async with lock:
                await websocket.send_text(json.dumps(message, separators=(",", ":")))

        async def lost(subscription_id: str) -> None:
            # Like geth on a subscription overflow: close, so the client reconnects and resubscribes.
            async with lock:
                await websocket.close(code=WS_TRY_AGAIN_LATER, reason=f"subscription {subscription_id} ended")

        subscriptions = ConnectionSubscriptions(
            events=self._events, limits=self._limits, send=send, on_lost=lost
        )
        client_host = websocket.client.host if websocket.client else None
        ctx = CallContext(
            is_admin=self._is_admin(websocket.headers, client_host), subscriptions=subscriptions
        )
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
                if len(text) > self._limits.max_ws_message_bytes:
                    await send(_envelope(_too_large(self._limits.max_ws_message_bytes)))
                    continue
                response = await self.dispatcher.handle_text(text, ctx)
                if response is not None:
                    await send(response)
                subscriptions.start_ready()
        except WebSocketDisconnect:
            pass
        finally:
            await subscriptions.close()


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        f"request too large: at most {limit} bytes", data={"code": "request_too_large", "limit": limit}
    )


def _envelope(exc: Exception) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "id": None, "error": error_object(exc)}


def _error(status: int, exc: Exception) -> Response:
    return Response(encode_response(_envelope(exc)), status_code=status, media_type=JSON_MEDIA_TYPE)


def create_rpc_app(
    *,
    reader: ChainReaderAPI,
    pool: TxPoolAPI,
    events: NodeEventsAPI,
    admin: NodeAdminAPI,
    client_version: str,
    limits: RpcLimits | None = None,
    admin_token: str | None = None,
    namespaces: Sequence[Namespace] = (),
    clock: Clock = time.monotonic,
    offload_blocking: bool = False,
) -> RpcApp:
    """Build the node's RPC app with the standard namespaces plus ``namespaces`` (e.g. ``qbft``).

    ``offload_blocking`` runs long methods in worker threads (at most ``limits.max_blocking_calls`` at once);
    turn it on only when ``reader`` may be read from several threads at the same time.
    """
    limits = limits or RpcLimits()
    dispatcher = Dispatcher(limits, offload_blocking=offload_blocking)
    eth = EthMethods(
        reader=reader, pool=pool, admin=admin, limits=limits, filters=FilterRegistry(limits), clock=clock
    )
    dispatcher.register(eth.namespace())
    dispatcher.register(net_methods.namespace(admin))
    dispatcher.register(web3_methods.namespace(client_version))
    dispatcher.register(admin_methods.namespace(admin, reader))
    dispatcher.register(perm_methods.namespace(admin))
    for namespace in namespaces:
        dispatcher.register(namespace)
    return RpcApp(dispatcher=dispatcher, events=events, limits=limits, admin_token=admin_token)


__all__ = ["ASGIApp", "RpcApp", "create_rpc_app"]
