"""How long a round lasts: doubling per round, capped.

Doubling gives validators whose clocks or links are slow time to converge on one round; the cap keeps a
network that failed many rounds (a partition, a crashed proposer) from waiting hours once it heals.
"""

from __future__ import annotations

from node.consensus.exceptions import ConsensusError
from node.consensus.qbft.config import QbftConfig


def round_timeout(config: QbftConfig, round_number: int) -> float:
    """Return ``min(request_timeout * 2**round, max_round_timeout)`` in seconds."""
    if round_number < 0:
        raise ConsensusError(f"round must not be negative, got {round_number}")
    # Past this exponent the product exceeds any sane cap; avoid computing 2**huge.
    if round_number >= 64:
        return float(config.max_round_timeout)
    return float(min(config.request_timeout * (2**round_number), config.max_round_timeout))
