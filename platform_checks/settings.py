"""Limits and windows of a platform check, validated where they are built.

The service calls URLs chosen by applicants, so every call is bounded (time, bytes, concurrency) and
private addresses are refused unless ``allow_private`` is set: off for the service, on for the CLI a
person runs on their own behalf. None of these are numbers of the law (the node minimum comes from the
rule profile); they are operational bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_checks.exceptions import PlatformCheckError


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Every bound a check run observes. Defaults suit a service probing public endpoints."""

    allow_private: bool = False
    """Permit loopback, private, link-local and other non-global addresses (CLI: on; service: off)."""
    call_timeout_s: float = 5.0
    """Whole-call bound for one JSON-RPC request: connect, send, and read the full body."""
    check_timeout_s: float = 60.0
    """Bound for one probing phase across all endpoints (identity, consensus)."""
    max_response_bytes: int = 1_048_576
    """A response body longer than this is cut off and counted as a failure."""
    max_concurrency: int = 8
    """Requests in flight at once across all endpoints."""
    max_endpoints: int = 32
    """An application declaring more endpoints than this is refused before any call."""
    liveness_window_s: float = 30.0
    """How long to wait for every node's head to advance."""
    liveness_poll_s: float = 2.0
    """Pause between head polls while waiting."""
    max_head_lag: int = 3
    """Heads of all nodes must lie within this many blocks of each other."""
    seal_window: int = 8
    """How many recent blocks the consensus check decodes and whose seals it recovers."""
    pairwise_filter_probe_max: int = 16
    """Above this many endpoints the pairwise filter probe for duplicates is skipped."""

    def __post_init__(self) -> None:
        positive = {
            "call_timeout_s": self.call_timeout_s,
            "check_timeout_s": self.check_timeout_s,
            "max_response_bytes": self.max_response_bytes,
            "max_concurrency": self.max_concurrency,
            "max_endpoints": self.max_endpoints,
            "liveness_window_s": self.liveness_window_s,
            "liveness_poll_s": self.liveness_poll_s,
            "seal_window": self.seal_window,
        }
        for name, value in positive.items():
            if value <= 0:
                raise PlatformCheckError(f"setting {name} must be positive, got {value}")
        if self.max_head_lag < 0:
            raise PlatformCheckError("setting max_head_lag must not be negative")
        if self.pairwise_filter_probe_max < 0:
            raise PlatformCheckError("setting pairwise_filter_probe_max must not be negative")
