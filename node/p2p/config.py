"""Transport settings and static peers, validated where they are built (invalid values raise, never assert).

These are protocol and resource limits, not numbers of the law, so they live here rather than in the
rule profile. Defaults suit a five-validator network: blocks up to 10 MiB, consensus messages that may
carry a proposed block, small transaction gossip and status messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from node.abc import MessageKind
from node.p2p.exceptions import IdentityError, TransportConfigError
from node.p2p.identity import validate_node_id

MIB = 1024 * 1024
_MAX_PORT = 65535

DEFAULT_KIND_LIMITS: Mapping[MessageKind, int] = MappingProxyType(
    {
        MessageKind.CONSENSUS: 10 * MIB,
        MessageKind.TRANSACTIONS: 1 * MIB,
        MessageKind.BLOCK_SYNC: 10 * MIB,
        MessageKind.STATUS: 4096,
        MessageKind.PING: 64,
        MessageKind.PONG: 64,
    }
)


@dataclass(frozen=True, slots=True)
class StaticPeer:
    """A peer this node dials and keeps connected: its address and the id it must prove."""

    node_id: str
    host: str
    port: int

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "node_id", validate_node_id(self.node_id))
        except IdentityError as exc:
            raise TransportConfigError(f"static peer: {exc}") from exc
        if not self.host:
            raise TransportConfigError("static peer: empty host")
        if not 0 < self.port <= _MAX_PORT:
            raise TransportConfigError(f"static peer: port {self.port} out of range")

    @classmethod
    def parse(cls, text: str) -> StaticPeer:
        """Parse ``<node id hex>@<host>:<port>`` (the shape of an enode URL without the scheme)."""
        node_id, sep, address = text.strip().removeprefix("pcnode://").partition("@")
        host, colon, port = address.rpartition(":")
        if not sep or not colon or not port.isdigit():
            raise TransportConfigError(f"static peer {text!r} is not <node id>@<host>:<port>")
        return cls(node_id=node_id, host=host.strip("[]"), port=int(port))

    def __str__(self) -> str:
        return f"{self.node_id}@{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Everything the TCP transport can be tuned with; all durations are seconds."""

    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    static_peers: tuple[StaticPeer, ...] = ()
    kind_limits: Mapping[MessageKind, int] = field(default_factory=lambda: DEFAULT_KIND_LIMITS)
    send_queue_messages: int = 1024
    """Frames queued per peer before the peer counts as not reading and is disconnected."""
    send_timeout: float = 10.0
    """How long one write may wait for the peer to read before the peer is disconnected."""
    inbox_capacity: int = 4096
    max_inflight_requests: int = 16
    """Requests per peer answered concurrently; more are refused with an error response."""
    handshake_timeout: float = 5.0
    ping_interval: float = 5.0
    idle_timeout: float = 15.0
    """A peer from which nothing (not even a pong) arrived for this long is disconnected."""
    dial_backoff_base: float = 0.5
    dial_backoff_cap: float = 30.0
    max_connections: int = 64
    ban_threshold: float = 100.0
    ban_seconds: float = 300.0
    score_half_life: float = 60.0
    frame_violation_penalty: float = 100.0
    """Bad frames, failed decryption, replays, oversized frames: one is enough for a ban by default."""
    reported_violation_penalty: float = 60.0
    """Violations upper layers report: disconnect at once; a second one within ~35 s (default decay) bans."""

    def __post_init__(self) -> None:
        if not 0 <= self.listen_port <= _MAX_PORT:
            raise TransportConfigError(f"listen port {self.listen_port} out of range")
        for kind in MessageKind:
            limit = self.kind_limits.get(kind)
            if limit is None or limit <= 0:
                raise TransportConfigError(f"no positive size limit for message kind {kind.name}")
        positive = {
            "send_queue_messages": self.send_queue_messages,
            "send_timeout": self.send_timeout,
            "inbox_capacity": self.inbox_capacity,
            "max_inflight_requests": self.max_inflight_requests,
            "handshake_timeout": self.handshake_timeout,
            "ping_interval": self.ping_interval,
            "idle_timeout": self.idle_timeout,
            "dial_backoff_base": self.dial_backoff_base,
            "dial_backoff_cap": self.dial_backoff_cap,
            "max_connections": self.max_connections,
            "ban_threshold": self.ban_threshold,
            "score_half_life": self.score_half_life,
        }
        for name, value in positive.items():
            if value <= 0:
                raise TransportConfigError(f"{name} must be positive, got {value}")
        if self.idle_timeout <= self.ping_interval:
            raise TransportConfigError("idle_timeout must exceed ping_interval")
        if self.dial_backoff_cap < self.dial_backoff_base:
            raise TransportConfigError("dial_backoff_cap must be at least dial_backoff_base")
        if len({peer.node_id for peer in self.static_peers}) != len(self.static_peers):
            raise TransportConfigError("a node id appears twice among the static peers")

    @property
    def max_body(self) -> int:
        """The largest frame body any kind may need; frames announcing more are refused unread."""
        from node.p2p.envelope import ENVELOPE_OVERHEAD  # noqa: PLC0415 - avoids an import cycle

        return max(self.kind_limits.values()) + ENVELOPE_OVERHEAD
