"""Vote thresholds of a BFT validator set of size ``n``.

``quorum(n) = ceil(2n/3)`` is Besu's rule: any two quorums intersect in at least ``n - 2*(n - q)``
validators, which for ``f = (n-1)//3`` faulty ones always includes an honest validator, so two
conflicting blocks can never both gather a quorum.
"""

from __future__ import annotations

from node.consensus.exceptions import ConsensusError


def _check(n: int) -> None:
    if n <= 0:
        raise ConsensusError(f"a validator set needs at least one validator, got {n}")


def quorum(n: int) -> int:
    """Return the number of distinct validators whose votes decide: ``ceil(2n/3)``."""
    _check(n)
    return (2 * n + 2) // 3


def max_faulty(n: int) -> int:
    """Return ``f = (n-1)//3``, the number of Byzantine validators the set tolerates."""
    _check(n)
    return (n - 1) // 3


def weak_quorum(n: int) -> int:
    """Return ``f + 1``: enough validators that at least one of them is honest (early round change)."""
    return max_faulty(n) + 1
