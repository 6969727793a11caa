"""The interface every consensus engine adapter implements, and what it reports back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from platform_checks.block_header import BlockHeader
from platform_checks.exceptions import RpcCallFailed
from platform_checks.model import Evidence, iso

METHOD_NOT_FOUND = -32601
Clock = Callable[[], dt.datetime]


class RpcCaller(Protocol):
    """What an adapter may do with a node: call JSON-RPC methods (bounded by the client)."""

    @property
    def url(self) -> str: ...

    async def call(self, method: str, params: list[Any] | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class EngineFinding:
    """What one adapter established about one network from one node's RPC and recent headers."""

    engine: str
    identified_by_rpc: bool | None
    """True: the engine's own methods answered; False: they are absent; None: could not tell."""
    identified_by_headers: bool
    """Every recent header has this engine's layout AND its hashing rule reproduces the block hash."""
    validators: tuple[str, ...]
    validators_from_rpc: tuple[str, ...] | None
    quorum: int | None
    fault_tolerance: int | None
    tolerance_model: str
    blocks_checked: int
    blocks_properly_sealed: int
    distinct_sealers: tuple[str, ...]
    required_distinct_sealers: int | None
    problems: tuple[str, ...]
    evidence: tuple[Evidence, ...]


class EngineProbe(Protocol):
    """One consensus family. ``probe`` must not raise on anything a node sends."""

    name: str

    async def probe(self, node: RpcCaller, headers: Sequence[BlockHeader], clock: Clock) -> EngineFinding:
        """Return what this engine's RPC methods and the given recent headers show (oldest first)."""
        ...


async def probe_rpc_list(
    node: RpcCaller, method: str, params: list[Any], clock: Clock, parse: Callable[[Any], tuple[str, ...]]
) -> tuple[bool | None, tuple[str, ...] | None, Evidence]:
    """Call an engine's list method: (answered?, parsed list, evidence). Absent method -> False."""
    try:
        raw = await node.call(method, params)
        values = parse(raw)
    except RpcCallFailed as exc:
        identified = False if exc.rpc_code == METHOD_NOT_FOUND else None
        return identified, None, Evidence(node.url, method, iso(clock()), error=exc.message)
    except Exception as exc:  # a MalformedValue from parse
        return None, None, Evidence(node.url, method, iso(clock()), error=str(exc))
    return True, values, Evidence(node.url, method, iso(clock()), value=list(values))
