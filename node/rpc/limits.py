"""Size and count limits of the JSON-RPC server, in one frozen value the node's config fills in.

Limits are security, not tuning: every request a stranger can send is bounded before it costs memory
or CPU (body and message sizes, batch length, subscriptions and filters per client, log ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

from node.exceptions import ConfigError


@dataclass(frozen=True, slots=True)
class RpcLimits:
    """Bounds applied at the RPC boundary; defaults match what public Ethereum nodes allow."""

    max_body_bytes: int = 5 * 1024 * 1024
    """HTTP request body cap; a larger body gets HTTP 413 with a JSON-RPC error."""
    max_batch: int = 100
    """Most calls in one batch (HTTP or WebSocket)."""
    max_ws_message_bytes: int = 5 * 1024 * 1024
    """Largest WebSocket text frame the server will parse."""
    max_subscriptions_per_connection: int = 32
    max_filters: int = 1024
    """Polling filters alive at once across all clients."""
    filter_ttl_seconds: float = 300.0
    """A filter not polled for this long is dropped, as geth does."""
    max_log_block_range: int = 10_000
    """Widest ``fromBlock..toBlock`` span ``eth_getLogs`` answers."""
    max_logs_per_query: int = 10_000
    """Most logs one ``eth_getLogs``/``eth_getFilterLogs`` answer carries; more is a limit error."""
    max_fee_history_blocks: int = 1024
    max_blocking_calls: int = 4
    """Long calls (``eth_call``, ``eth_getLogs`` …) running at once in worker threads, when offloaded."""

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value <= 0:
                raise ConfigError(f"rpc limit {name} must be positive, got {value}")
