"""State of polling filters (``eth_newFilter``, ``eth_newBlockFilter``): what each client has seen.

ethers.js and web3.py poll with these. The registry holds only cursors, never logs, so a filter costs a
few bytes; filters not polled within the TTL are dropped and the total is capped, so a client cannot
exhaust memory. Time comes in as ``now`` so expiry is testable without waiting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from node.rpc.errors import LimitExceeded, ResourceNotFound
from node.rpc.inbound import FilterSpec
from node.rpc.limits import RpcLimits


@dataclass(slots=True)
class LogPoll:
    """A log filter: its criteria and the first block not yet reported."""

    spec: FilterSpec
    next_block: int
    last_poll: float


@dataclass(slots=True)
class BlockPoll:
    """A block filter: the first block whose hash was not yet reported."""

    next_block: int
    last_poll: float


Poll = LogPoll | BlockPoll


class FilterRegistry:
    """Filters by id with TTL expiry and a global cap."""

    def __init__(self, limits: RpcLimits) -> None:
        self._limits = limits
        self._filters: dict[str, Poll] = {}

    def __len__(self) -> int:
        return len(self._filters)

    def install(self, poll: Poll, *, now: float) -> str:
        self.expire(now=now)
        if len(self._filters) >= self._limits.max_filters:
            raise LimitExceeded(f"too many filters installed (at most {self._limits.max_filters})")
        filter_id = "0x" + secrets.token_hex(16)
        self._filters[filter_id] = poll
        return filter_id

    def touch(self, filter_id: str, *, now: float) -> Poll:
        """Return the filter and restart its TTL; raise ``ResourceNotFound`` for an unknown or expired id."""
        self.expire(now=now)
        poll = self._filters.get(filter_id)
        if poll is None:
            raise ResourceNotFound("filter not found")
        poll.last_poll = now
        return poll

    def uninstall(self, filter_id: str) -> bool:
        return self._filters.pop(filter_id, None) is not None

    def expire(self, *, now: float) -> None:
        ttl = self._limits.filter_ttl_seconds
        stale = [fid for fid, poll in self._filters.items() if now - poll.last_poll > ttl]
        for filter_id in stale:
            del self._filters[filter_id]
