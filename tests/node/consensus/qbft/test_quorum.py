import pytest

from node.consensus.exceptions import ConsensusError
from node.consensus.qbft.quorum import max_faulty, quorum, weak_quorum


@pytest.mark.parametrize(("n", "q", "f"), [(1, 1, 0), (4, 3, 1), (5, 4, 1), (6, 4, 1), (7, 5, 2), (10, 7, 3)])
def test_quorum_and_tolerance_match_besu(n: int, q: int, f: int) -> None:
    assert quorum(n) == q
    assert max_faulty(n) == f
    assert weak_quorum(n) == f + 1


@pytest.mark.parametrize("n", range(1, 101))
def test_two_quorums_always_share_an_honest_validator(n: int) -> None:
    # Intersection of two quorums is at least 2q - n; it must exceed the f Byzantine validators.
    assert 2 * quorum(n) - n > max_faulty(n)
    # And the honest validators alone can form a quorum (liveness).
    assert n - max_faulty(n) >= quorum(n)


def test_empty_validator_set_is_refused() -> None:
    with pytest.raises(ConsensusError):
        quorum(0)
