"""Per-client-IP token buckets for the public paths: 429 with ``Retry-After`` when a bucket is empty.

The bucket is pure (time is a parameter); the middleware is the thin shell that reads the client's
address and the monotonic clock. Memory is bounded: past ``max_clients`` the least recently seen
client's bucket is dropped (it comes back full, which only ever errs towards serving).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token at ``now``; return 0 when granted, else the seconds until one is available."""
        elapsed = max(now - self.updated, 0.0)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """One bucket per key (client IP); thread-safe; bounded."""

    def __init__(self, *, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(float(self.burst), self.rate, float(self.burst), now)
                self._buckets[key] = bucket
                if len(self._buckets) > self.max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
            return bucket.take(now)


PUBLIC_PREFIXES = ("/v1/public/", "/verify")
MAX_FORWARDED_HOPS = 16


def client_address(scope: Scope, trusted_proxies: frozenset[str]) -> str:
    """The client's IP: the peer, unless the peer is one of our reverse proxies; then the nearest
    address in ``X-Forwarded-For`` that is not ours (anything further left is the client's to forge)."""
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = b",".join(v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for")
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()][-MAX_FORWARDED_HOPS:]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return peer


def is_public_path(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


class PublicRateLimit:
    """ASGI middleware: the limiter comes from ``app.state.public`` so it is configured in one place."""

    def __init__(self, app: ASGIApp, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_public_path(scope["path"]) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        context = scope["app"].state.public
        limiter: RateLimiter = context.limiter
        key = client_address(scope, context.trusted_proxies)
        wait = limiter.take(key, self.clock())
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = str(max(1, math.ceil(wait)))
        body = json.dumps(
            {
                "type": "urn:permitchain:problem:too_many_requests",
                "status": 429,
                "code": "too_many_requests",
                "message": f"too many requests from this address; retry after {retry_after} s",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", retry_after.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
