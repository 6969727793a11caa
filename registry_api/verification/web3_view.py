"""A :class:`~registry_api.verification.chain_view.RegistryView` over web3.py on any node.

Reads go through :class:`contracts.registry_reader.RegistryReader` (one ``eth_call`` each). Events are
indexed incrementally: each refresh asks ``eth_getLogs`` only for blocks not seen yet, in spans the
node accepts, so history and the register list cost one scan, not one per request.

For a busy API the view caches per block: the head is re-read at most every ``head_ttl_seconds`` and a
read is reused while the head has not moved (a new block may change any answer, so the cache is
dropped whenever the head advances). ``head_ttl_seconds=0`` (the CLI's choice) asks the node every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eth_typing import ChecksumAddress
from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from requests.exceptions import RequestException
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.middleware import ExtraDataToPOAMiddleware

from contracts.exceptions import ContractsError
from contracts.issuer_ids import decode_issuer_id
from contracts.registry_reader import IssuerRecord, PermitRecord, RegistryReader
from contracts.statuses import IssuerStatus
from registry_api.verification.chain_view import (
    IssuerEvent,
    IssuerEventKind,
    PermitEvent,
    PermitEventKind,
)
from registry_api.verification.exceptions import ChainUnavailable

T = TypeVar("T")
LOG_SPAN = 10_000  # the node's widest eth_getLogs block range (node.rpc.limits)
MAX_CACHED_READS = 50_000

_PERMIT_EVENTS = {
    "PermitAnchored": PermitEventKind.ANCHORED,
    "PermitSuspended": PermitEventKind.SUSPENDED,
    "PermitReinstated": PermitEventKind.REINSTATED,
    "PermitRevoked": PermitEventKind.REVOKED,
}
_ISSUER_EVENTS = {
    "IssuerRegistered": IssuerEventKind.REGISTERED,
    "IssuerUpdated": IssuerEventKind.UPDATED,
    "IssuerStatusChanged": IssuerEventKind.STATUS_CHANGED,
}
_NODE_ERRORS = (Web3Exception, RequestException, OSError, ValueError, ContractsError)


def connect(rpc_url: str, *, timeout_seconds: float = 10.0) -> Web3:
    """A web3 client for one of our nodes. QBFT headers carry the validators and seals in ``extraData``
    (longer than the 32 bytes web3 allows on mainnet), hence the extraData middleware."""
    if not rpc_url.startswith(("http://", "https://")):
        raise ChainUnavailable(f"the RPC URL must be http(s): {rpc_url!r}")
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_seconds}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def _topics(contract: Contract, names: dict[str, Any]) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for entry in contract.abi:
        if entry.get("type") == "event" and entry.get("name") in names:
            event: Any = entry
            found[bytes(event_abi_to_log_topic(event))] = str(event["name"])
    return found


class Web3RegistryView:
    """Read one deployment of the registries through ``w3``; safe to share between threads."""

    def __init__(
        self,
        w3: Web3,
        *,
        permit_registry: ChecksumAddress,
        issuer_registry: ChecksumAddress,
        head_ttl_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.w3 = w3
        self.reader = RegistryReader(w3, permit_registry=permit_registry, issuer_registry=issuer_registry)
        self.head_ttl_seconds = head_ttl_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._head: tuple[int, float] | None = None
        self._reads: dict[tuple[Any, ...], Any] = {}
        self._reads_head = -1
        self._scanned = -1
        self._permit_events: dict[bytes, list[PermitEvent]] = {}
        self._issuer_events: dict[str, list[IssuerEvent]] = {}
        self._issuer_order: list[str] = []
        self._permit_topics = _topics(self.reader.permits, _PERMIT_EVENTS)
        self._issuer_topics = _topics(self.reader.issuers, _ISSUER_EVENTS)
        self._index_lock = threading.Lock()

    # --- head and cache -------------------------------------------------------------------------
    def head(self) -> int:
        now = self._monotonic()
        with self._lock:
            if self._head is not None and now - self._head[1] < self.head_ttl_seconds:
                return self._head[0]
        number = self._node(lambda: int(self.w3.eth.block_number))
        with self._lock:
            self._head = (number, now)
        return number

    def head_time(self) -> int:
        head = self.head()
        return self._cached(("t", head), lambda: int(self.w3.eth.get_block(head)["timestamp"]))

    def _cached(self, key: tuple[Any, ...], read: Callable[[], T]) -> T:
        if self.head_ttl_seconds <= 0:
            return self._node(read)
        head = self.head()
        with self._lock:
            if head != self._reads_head:
                self._reads.clear()
                self._reads_head = head
            if key in self._reads:
                value: T = self._reads[key]
                return value
        value = self._node(read)
        with self._lock:
            if head == self._reads_head and len(self._reads) < MAX_CACHED_READS:
                self._reads[key] = value
        return value

    @staticmethod
    def _node(read: Callable[[], T]) -> T:
        try:
            return read()
        except _NODE_ERRORS as exc:
            raise ChainUnavailable(f"the node did not answer: {type(exc).__name__}: {exc}"[:300]) from exc

    # --- reads ----------------------------------------------------------------------------------
    def permit_by_hash(self, permit_hash: bytes, at: int) -> PermitRecord:
        return self._cached(("h", permit_hash, at), lambda: self.reader.permit_status(permit_hash, at))

    def permit_by_number(self, number: str, at: int) -> PermitRecord:
        return self._cached(("n", number, at), lambda: self.reader.permit_status_by_number(number, at))

    def issuer(self, issuer_id: str, at: int) -> IssuerRecord:
        return self._cached(("i", issuer_id, at), lambda: self.reader.issuer_status(issuer_id, at))

    # --- events ---------------------------------------------------------------------------------
    def permit_events(self, permit_hash: bytes) -> list[PermitEvent]:
        self._refresh()
        with self._lock:
            return list(self._permit_events.get(permit_hash, ()))

    def issuer_events(self, issuer_id: str) -> list[IssuerEvent]:
        self._refresh()
        with self._lock:
            return list(self._issuer_events.get(issuer_id, ()))

    def issuer_ids(self) -> list[str]:
        self._refresh()
        with self._lock:
            return list(self._issuer_order)

    def _refresh(self) -> None:
        head = self.head()
        with self._index_lock:  # one scanner at a time; others wait and then see its result
            start = self._scanned + 1
            while start <= head:
                end = min(start + LOG_SPAN - 1, head)
                logs = self._node(lambda s=start, e=end: self._logs(s, e))  # type: ignore[misc]
                for log in logs:
                    self._index(log)
                with self._lock:
                    self._scanned = end
                start = end + 1

    def _logs(self, start: int, end: int) -> list[Any]:
        logs = self.w3.eth.get_logs(
            {
                "address": [self.reader.permits.address, self.reader.issuers.address],
                "fromBlock": start,
                "toBlock": end,
            }
        )
        return sorted(logs, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))

    def _index(self, log: Any) -> None:
        topics = log["topics"]
        if not topics:
            return
        topic = bytes(topics[0])
        address = log["address"]
        if address == self.reader.permits.address and topic in self._permit_topics:
            name = self._permit_topics[topic]
            args = self.reader.permits.events[name]().process_log(log)["args"]
            permit_event = PermitEvent(
                kind=_PERMIT_EVENTS[name],
                permit_hash=bytes(args["permit_hash"]),
                issuer_id=decode_issuer_id(args["issuer_id"]),
                block_number=int(log["blockNumber"]),
                tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                log_index=int(log["logIndex"]),
                at=int(args["at"]),
                reason=int(args["reason"]) if "reason" in args else None,
            )
            with self._lock:
                self._permit_events.setdefault(permit_event.permit_hash, []).append(permit_event)
        elif address == self.reader.issuers.address and topic in self._issuer_topics:
            name = self._issuer_topics[topic]
            args = self.reader.issuers.events[name]().process_log(log)["args"]
            issuer_event = IssuerEvent(
                kind=_ISSUER_EVENTS[name],
                issuer_id=decode_issuer_id(args["issuer_id"]),
                permit_hash=bytes(args["permit_hash"]),
                status=IssuerStatus(int(args["status"])),
                block_number=int(log["blockNumber"]),
                tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                log_index=int(log["logIndex"]),
                at=int(args["at"]),
                reason=int(args["reason"]) if "reason" in args else None,
                cause=int(args["cause"]) if "cause" in args else None,
                display_name=str(args["display_name"]) if "display_name" in args else None,
                platform_name=str(args["platform_name"]) if "platform_name" in args else None,
            )
            with self._lock:
                if issuer_event.issuer_id not in self._issuer_events:
                    self._issuer_order.append(issuer_event.issuer_id)
                self._issuer_events.setdefault(issuer_event.issuer_id, []).append(issuer_event)
