"""What was read from each endpoint, with when and how: the input of the pure checks.

Each :class:`Reading` holds one method's parsed value or the reason it failed, stamped with the
injected clock. The checks in ``platform_checks/checks`` only ever see these, never a socket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from platform_checks.block_header import BlockHeader
from platform_checks.engines.base import EngineFinding
from platform_checks.model import Evidence, JsonValue


@dataclass(frozen=True, slots=True)
class Reading:
    """One method's answer from one endpoint: ``value`` (parsed) or ``error``, and when."""

    source: str
    method: str
    observed_at: str
    value: Any = None
    shown: JsonValue = None
    error: str | None = None
    failure_kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def evidence(self) -> Evidence:
        return Evidence(self.source, self.method, self.observed_at, value=self.shown, error=self.error)


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """A node's own identity as it reports it (normalised: lower-case hex public key, no ``0x``)."""

    node_id: str | None
    enode: str | None
    config_chain_id: int | None


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """Everything read once from one endpoint at the start of a run."""

    url: str
    client_version: Reading
    chain_id: Reading
    genesis_hash: Reading
    head: Reading
    identity: Reading
    peers: Reading
    peer_count: Reading
    coinbase: Reading
    """``eth_coinbase``: on BFT and Clique networks the node's own signing address (the engine's id)."""

    def readings(self) -> tuple[Reading, ...]:
        return (
            self.client_version,
            self.chain_id,
            self.genesis_hash,
            self.head,
            self.identity,
            self.peers,
            self.peer_count,
            self.coinbase,
        )


@dataclass(frozen=True, slots=True)
class FilterProbe:
    """Pairwise test of node-local filter ids: ``shared`` pairs answered each other's filter.

    A filter installed through one URL is only known to the process behind it; when it is also
    known (and removable) through another URL, both URLs reach the same node. Works even when
    ``admin_nodeInfo`` is disabled.
    """

    ran: bool
    shared: tuple[tuple[str, str], ...] = ()
    isolated: tuple[tuple[str, str], ...] = ()
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class HeadPolls:
    """Heads read while waiting for blocks: per endpoint, (observed_at, head or None) in order."""

    polls: Mapping[str, Sequence[tuple[str, int | None]]]
    window_s: float
    waited_s: float
    errors: Mapping[str, str] = field(default_factory=dict)
    common_block: Mapping[str, Reading] = field(default_factory=dict)
    """Each node's hash of the highest block all heads reached: nodes on one chain agree on it."""


@dataclass(frozen=True, slots=True)
class ConsensusObservation:
    """Recent headers from one reference node and every engine adapter's finding."""

    reference: str | None
    headers: tuple[BlockHeader, ...]
    findings: tuple[EngineFinding, ...]
    evidence: tuple[Evidence, ...]
    error: str | None = None
