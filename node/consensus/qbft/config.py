"""QBFT timing and resource limits, validated where they are built.

None of these are numbers of the law (the rule profile holds those); they are protocol tuning. The
defaults follow Besu's documented examples for the block period and request timeout, and add what Besu
lacked: a cap on the round timeout, so a network that went through many failed rounds is back within a
bounded time once a quorum is up again (besu#7642 saw rounds of 4096 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from node.consensus.exceptions import ConsensusConfigError


@dataclass(frozen=True, slots=True)
class QbftConfig:
    """Parameters of one validator's state machine; all durations in seconds."""

    block_period: float = 2.0
    """Minimum time between a parent's timestamp and the start of round 0 of the next height."""
    request_timeout: float = 4.0
    """Round 0 timeout; round ``r`` waits ``request_timeout * 2**r`` ..."""
    max_round_timeout: float = 60.0
    """... but never longer than this."""
    max_message_bytes: int = 10 * 1024 * 1024
    """Encoded messages above this size are refused before decoding (a proposal carries a block); the
    p2p transport's limit for consensus frames is the same 10 MiB."""
    future_height_window: int = 10
    """Messages up to this many heights ahead are buffered; further ahead they are dropped."""
    future_round_window: int = 100
    """Prepares/commits up to this many rounds ahead are buffered; further ahead they are dropped."""
    max_buffered_per_sender: int = 64
    """Bound on buffered future-height messages per sender and height (flooding cannot exhaust memory)."""
    retained_past_rounds: int = 4
    """Past rounds whose proposal is kept so a late commit quorum can still decide the height."""

    def __post_init__(self) -> None:
        for name in ("block_period", "request_timeout", "max_round_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ConsensusConfigError(f"{name} must be a finite number of seconds, got {value!r}")
        if self.block_period < 0:
            raise ConsensusConfigError(f"block_period must not be negative, got {self.block_period}")
        if self.request_timeout <= 0:
            raise ConsensusConfigError(f"request_timeout must be positive, got {self.request_timeout}")
        if self.max_round_timeout < self.request_timeout:
            raise ConsensusConfigError(
                f"max_round_timeout ({self.max_round_timeout}) is below "
                f"request_timeout ({self.request_timeout})"
            )
        for name in (
            "max_message_bytes",
            "future_height_window",
            "future_round_window",
            "max_buffered_per_sender",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConsensusConfigError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.retained_past_rounds, int) or self.retained_past_rounds < 0:
            raise ConsensusConfigError(
                f"retained_past_rounds must be a non-negative integer, got {self.retained_past_rounds!r}"
            )
