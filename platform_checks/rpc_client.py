"""A JSON-RPC client for endpoints the service does not trust.

Every call is bounded: the SSRF guard runs before connecting, a whole-call deadline covers connect,
send and a slow trickle of bytes alike, the body is streamed and reading stops at the size cap,
redirects are never followed, proxies from the environment are ignored, and a global semaphore caps
requests in flight. Whatever goes wrong becomes :class:`RpcCallFailed` with a ``kind`` the probes
turn into evidence; nothing an endpoint sends can raise anything else.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx

from platform_checks.endpoints import Endpoint, ResolvedTarget, resolve_target
from platform_checks.exceptions import EndpointRejected, EndpointUnresolvable, RpcCallFailed
from platform_checks.nesting_limits import MAX_JSON_DEPTH, json_depth
from platform_checks.settings import CheckSettings

_USER_AGENT = "permitchain-platform-check/1"


def new_http_client() -> httpx.AsyncClient:
    """An HTTP client that never follows redirects and never uses proxies from the environment."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": _USER_AGENT},
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


class RpcClient:
    """Calls one endpoint; share ``http`` and ``semaphore`` across the endpoints of one run."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        settings: CheckSettings,
        http: httpx.AsyncClient,
        semaphore: asyncio.Semaphore,
    ) -> None:
        self.endpoint = endpoint
        self._settings = settings
        self._http = http
        self._semaphore = semaphore
        self._ids = itertools.count(1)
        self._target: ResolvedTarget | None = None

    @property
    def url(self) -> str:
        return self.endpoint.url

    async def _resolve(self) -> ResolvedTarget:
        if self._target is None:
            try:
                self._target = await resolve_target(
                    self.endpoint,
                    allow_private=self._settings.allow_private,
                    timeout_s=self._settings.call_timeout_s,
                )
            except EndpointUnresolvable as exc:
                raise RpcCallFailed("unreachable", exc.message) from exc
            except EndpointRejected as exc:
                raise RpcCallFailed("refused", exc.message) from exc
        return self._target

    async def call(self, method: str, params: list[Any] | None = None) -> Any:
        """Return the ``result`` of one call, or raise :class:`RpcCallFailed`."""
        target = await self._resolve()
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}
        try:
            async with self._semaphore:  # queueing for a slot does not eat into the call's deadline
                async with asyncio.timeout(self._settings.call_timeout_s):
                    body = await self._post(target, payload)
        except TimeoutError as exc:
            raise RpcCallFailed(
                "timeout", f"{method}: no complete answer within {self._settings.call_timeout_s:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise RpcCallFailed("unreachable", f"{method}: {type(exc).__name__}: {exc}") from exc
        return _parse_response(method, request_id, body)

    async def _post(self, target: ResolvedTarget, payload: dict[str, Any]) -> bytes:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Encoding": "identity",
        }
        if target.url.host != target.host:
            default_port = 443 if target.url.scheme == "https" else 80
            port = target.url.port
            headers["Host"] = target.host if port in (None, default_port) else f"{target.host}:{port}"
        if self.endpoint.token is not None:
            headers["Authorization"] = f"Bearer {self.endpoint.token}"
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        request = self._http.build_request(
            "POST",
            target.url,
            content=json.dumps(payload).encode(),
            headers=headers,
            extensions=extensions,
        )
        response = await self._http.send(request, stream=True)
        try:
            if response.is_redirect:
                raise RpcCallFailed(
                    "redirect", f"{payload['method']}: redirect to elsewhere refused ({response.status_code})"
                )
            if response.status_code != 200:
                raise RpcCallFailed("http_status", f"{payload['method']}: HTTP status {response.status_code}")
            declared = response.headers.get("content-length")
            cap = self._settings.max_response_bytes
            if declared is not None and declared.isdigit() and int(declared) > cap:
                raise RpcCallFailed(
                    "too_large", f"{payload['method']}: response declares {declared} bytes, cap {cap}"
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_raw():
                size += len(chunk)
                if size > cap:
                    raise RpcCallFailed(
                        "too_large", f"{payload['method']}: response exceeds {cap} bytes, reading stopped"
                    )
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            await response.aclose()


def _parse_response(method: str, request_id: int, body: bytes) -> Any:
    """Validate the JSON-RPC 2.0 envelope; the result's own shape is the caller's to check."""
    if json_depth(body) > MAX_JSON_DEPTH:
        raise RpcCallFailed("malformed", f"{method}: response nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RpcCallFailed("malformed", f"{method}: response is not JSON") from exc
    if not isinstance(message, dict):
        raise RpcCallFailed("malformed", f"{method}: response is not a JSON-RPC object")
    if message.get("jsonrpc") != "2.0" or message.get("id") != request_id:
        raise RpcCallFailed("malformed", f"{method}: response is not a JSON-RPC 2.0 answer to this call")
    if "error" in message:
        error = message["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            raise RpcCallFailed("malformed", f"{method}: malformed JSON-RPC error object")
        text = str(error.get("message", ""))[:200]
        raise RpcCallFailed("rpc_error", f"{method}: error {error['code']}: {text}", rpc_code=error["code"])
    if "result" not in message:
        raise RpcCallFailed("malformed", f"{method}: JSON-RPC answer has neither result nor error")
    return message["result"]
