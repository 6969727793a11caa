"""JSON-RPC 2.0 framing and method dispatch, independent of HTTP or WebSocket.

The transports hand raw text and a :class:`CallContext` to :class:`Dispatcher`; it parses, checks the
envelope and batch limits, finds the method in the namespaces registered with it, checks admin rights,
runs the handler and turns any exception into an error object through :func:`errors.error_object`.
A namespace (``eth``, ``net``, later ``qbft``) is added with ONE call to :meth:`Dispatcher.register`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from node.rpc.errors import (
    InvalidRequest,
    MethodNotFound,
    ParseError,
    RequestTooLarge,
    Unauthorized,
    error_object,
)
from node.rpc.inbound import Params
from node.rpc.limits import RpcLimits
from permitchain.json_nesting import MAX_JSON_DEPTH, nested_deeper_than

JSONRPC_VERSION = "2.0"


class SubscriptionHost(Protocol):
    """What a WebSocket connection offers to ``eth_subscribe``/``eth_unsubscribe``."""

    def subscribe(self, kind: str, params: list[Any]) -> str: ...

    def unsubscribe(self, subscription_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling and over what: decides admin rights and whether subscriptions exist."""

    is_admin: bool = False
    subscriptions: SubscriptionHost | None = None


Handler = Callable[[Params, CallContext], Any | Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Method:
    handler: Handler
    admin: bool = False
    """Callable only with admin rights (see :mod:`node.rpc.server` for how rights are granted)."""
    blocking: bool = False
    """A synchronous handler that may take long (EVM execution, log scans): with ``offload_blocking``
    the dispatcher runs it in a worker thread so the event loop (and consensus on it) keeps going."""


@dataclass(frozen=True, slots=True)
class Namespace:
    """A group of methods sharing a prefix: ``Namespace("net", {"version": ...})`` serves ``net_version``."""

    name: str
    methods: Mapping[str, Method] = field(default_factory=dict)
    version: str = "1.0"


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


class Dispatcher:
    """Routes JSON-RPC requests to registered namespaces; the transports own nothing but bytes."""

    def __init__(self, limits: RpcLimits, *, offload_blocking: bool = False) -> None:
        self.limits = limits
        self._offload = offload_blocking
        self._workers = asyncio.Semaphore(limits.max_blocking_calls)
        self._methods: dict[str, Method] = {}
        self._versions: dict[str, str] = {}
        self.register(Namespace("rpc", {"modules": Method(self._rpc_modules)}))

    def register(self, namespace: Namespace) -> None:
        """Add every method of ``namespace``; a name clash is a programming error and raises."""
        if namespace.name in self._versions:
            raise ValueError(f"namespace {namespace.name!r} is already registered")
        names = {f"{namespace.name}_{method}": impl for method, impl in namespace.methods.items()}
        clash = names.keys() & self._methods.keys()
        if clash:
            raise ValueError(f"methods already registered: {sorted(clash)}")
        self._methods.update(names)
        self._versions[namespace.name] = namespace.version

    @property
    def method_names(self) -> frozenset[str]:
        return frozenset(self._methods)

    def _rpc_modules(self, params: Params, ctx: CallContext) -> dict[str, str]:
        params.take(0)
        return dict(self._versions)

    async def handle_text(self, text: str | bytes, ctx: CallContext) -> Any | None:
        """Return the response (object or list) to a request text; ``None`` if it held only notifications."""
        raw = text.encode() if isinstance(text, str) else text
        if nested_deeper_than(raw, MAX_JSON_DEPTH):
            return _error_response(
                None, InvalidRequest(f"invalid request: JSON nested deeper than {MAX_JSON_DEPTH} levels")
            )
        try:
            payload = json.loads(raw, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            return _error_response(None, ParseError("parse error: the request is not valid JSON"), exc)
        if isinstance(payload, list):
            if not payload:
                return _error_response(None, InvalidRequest("invalid request: empty batch"))
            if len(payload) > self.limits.max_batch:
                return _error_response(
                    None,
                    RequestTooLarge(
                        f"batch too large: {len(payload)} calls, at most {self.limits.max_batch}",
                        data={"code": "batch_too_large", "limit": self.limits.max_batch},
                    ),
                )
            responses = []
            for item in payload:
                responses.append(await self.handle_request(item, ctx))
                await asyncio.sleep(0)  # let other connections in between the calls of a large batch
            answered = [r for r in responses if r is not None]
            return answered or None
        return await self.handle_request(payload, ctx)

    async def handle_request(self, request: Any, ctx: CallContext) -> dict[str, Any] | None:
        """Run one request object; return its response, or ``None`` for a valid notification."""
        if not isinstance(request, dict):
            return _error_response(None, InvalidRequest("invalid request: expected a JSON object"))
        request_id = request.get("id")
        if not _valid_id(request_id):
            return _error_response(None, InvalidRequest("invalid request: id must be a string or number"))
        is_notification = "id" not in request
        try:
            result = await self._run(request, ctx)
        except Exception as exc:  # every failure becomes an error object; error_object logs bugs
            return None if is_notification else _error_response(request_id, exc)
        if is_notification:
            return None
        return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "result": result}

    async def _run(self, request: dict[str, Any], ctx: CallContext) -> Any:
        if request.get("jsonrpc") != JSONRPC_VERSION:
            raise InvalidRequest('invalid request: "jsonrpc" must be "2.0"')
        name = request.get("method")
        if not isinstance(name, str):
            raise InvalidRequest('invalid request: "method" must be a string')
        raw_params = request.get("params", [])
        if raw_params is None:
            raw_params = []
        if not isinstance(raw_params, list):
            raise InvalidRequest('invalid request: "params" must be an array (positional parameters)')
        method = self._methods.get(name)
        if method is None:
            raise MethodNotFound(f"the method {name[:64]} does not exist/is not available")
        if method.admin and not ctx.is_admin:
            raise Unauthorized(f"{name} needs admin rights (loopback without Origin, or the admin token)")
        params = Params(name, raw_params)
        if method.blocking and self._offload:
            async with self._workers:
                return await asyncio.to_thread(method.handler, params, ctx)
        result = method.handler(params, ctx)
        if inspect.isawaitable(result):
            result = await result
        return result


def _valid_id(value: Any) -> bool:
    """Accept what JSON-RPC allows as an id and can be echoed back as valid JSON (no inf, no bool)."""
    if value is None or isinstance(value, str):
        return len(value or "") <= 256
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _error_response(
    request_id: Any, exc: BaseException, cause: BaseException | None = None
) -> dict[str, Any]:
    del cause  # the parse failure's own text may quote the body; it is not echoed
    return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "error": error_object(exc)}


def encode_response(response: Any) -> bytes:
    return json.dumps(response, separators=(",", ":")).encode()
