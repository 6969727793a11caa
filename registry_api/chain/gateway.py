"""JSON-RPC with failover: a call goes to the current URL and moves on to the next one when it fails.

Any node of the regulator's network serves the same chain (QBFT: a block is final once it is in), so
which node answers does not matter; a node that is down must not stop anchoring. Only connection-level
failures fail over; a JSON-RPC error answer (a revert) is an answer and is raised to the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import requests
from web3 import HTTPProvider, Web3
from web3.exceptions import ProviderConnectionError, TimeExhausted
from web3.middleware import ExtraDataToPOAMiddleware

from registry_api.chain.exceptions import ChainError

T = TypeVar("T")
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    requests.RequestException,
    ProviderConnectionError,
    TimeExhausted,
)


class RpcGateway:
    """A set of RPC URLs of one chain, each with its own :class:`Web3`, tried in turn."""

    def __init__(self, urls: Sequence[str], *, timeout_s: float = 10.0) -> None:
        if not urls:
            raise ChainError("no chain RPC URL is configured", code="chain_not_configured")
        self.urls = tuple(urls)
        self._clients = [self._client(url, timeout_s) for url in self.urls]
        self._current = 0
        self._lock = threading.Lock()

    @staticmethod
    def _client(url: str, timeout_s: float) -> Web3:
        """A client that fails fast (failover is ours) and reads BFT headers (extraData > 32 bytes)."""
        w3 = Web3(
            HTTPProvider(url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None)
        )
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return w3

    def call(self, what: str, action: Callable[[Web3], T]) -> T:
        """Run ``action`` on the current node; on a connection failure try each other URL once."""
        with self._lock:
            start = self._current
        errors: list[str] = []
        for step in range(len(self._clients)):
            index = (start + step) % len(self._clients)
            try:
                result = action(self._clients[index])
            except CONNECTION_ERRORS as exc:
                errors.append(f"{self.urls[index]}: {type(exc).__name__}")
                continue
            if index != start:
                with self._lock:
                    self._current = index
            return result
        raise ChainError(f"{what}: no chain node answered ({'; '.join(errors)})")

    @property
    def w3(self) -> Web3:
        """The current node's client (for building contract objects; calls should go through ``call``)."""
        with self._lock:
            return self._clients[self._current]
