import pytest
from eth_typing import Address

from node.consensus.qbft.round_change import (
    RoundChangeCollector,
    best_prepared,
    early_round_change_target,
    validate_proposal_justification,
    validate_round_change,
)
from tests.node.consensus.qbft.rig import Rig

V = [Address(bytes([i]) * 20) for i in range(1, 8)]


def test_early_round_change_needs_f_plus_one_validators_ahead() -> None:
    # n = 4, f = 1: two validators ahead are enough, one is not.
    assert early_round_change_target({V[0]: 3}, 0, 4) is None
    assert early_round_change_target({V[0]: 3, V[1]: 5}, 0, 4) == 3
    # Rounds at or below ours do not count.
    assert early_round_change_target({V[0]: 3, V[1]: 2}, 2, 4) is None
    # n = 7, f = 2: the lowest of the three highest requests.
    assert early_round_change_target({V[0]: 9, V[1]: 4, V[2]: 6, V[3]: 1}, 0, 7) == 4


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_round_change_certificate_rules(rig: Rig) -> None:
    validators = frozenset(s.address for s in rig.signers)
    block = rig.block(0)
    good = rig.round_change(1, 2, rig.certificate(0, block, [0, 1, 2]))
    assert validate_round_change(good, height=1, validators=validators) is None
    same_round = rig.round_change(1, 0, rig.certificate(0, block, [0, 1, 2]))
    assert "not below" in (validate_round_change(same_round, height=1, validators=validators) or "")
    duplicate = rig.round_change(1, 2, rig.certificate(0, block, [0, 0, 2]))
    assert validate_round_change(duplicate, height=1, validators=validators) is not None
    wrong_height = rig.round_change(1, 2, rig.certificate(0, rig.block(0, number=2), [0, 1, 2]))
    assert validate_round_change(wrong_height, height=1, validators=validators) is not None
    outsiders = frozenset(s.address for s in rig.signers[:3])
    assert (
        validate_round_change(
            rig.round_change(1, 2, rig.certificate(0, block, [0, 1, 3])), height=1, validators=outsiders
        )
        is not None
    )


def test_best_prepared_picks_the_highest_prepared_round(rig: Rig) -> None:
    a, b = rig.block(0, b"a"), rig.block(0, b"b")
    rcs = [
        rig.round_change(0, 3),
        rig.round_change(1, 3, rig.certificate(2, b, [0, 1, 2])),
        rig.round_change(2, 3, rig.certificate(0, a, [0, 1, 2])),
    ]
    best = best_prepared(rcs)
    assert best is not None and best.prepared_block == b
    assert best_prepared(rcs[:1]) is None


def test_round_zero_proposal_must_not_carry_a_justification(rig: Rig) -> None:
    validators = frozenset(s.address for s in rig.signers)
    block = rig.block(0)
    bare = rig.proposal(0, block)
    assert validate_proposal_justification(bare, validators=validators) is None
    padded = rig.proposal(0, block, round_changes=[rig.round_change(i, 0) for i in range(3)])
    assert validate_proposal_justification(padded, validators=validators) is not None


def test_collector_keeps_one_round_change_per_validator_and_round(rig: Rig) -> None:
    collector = RoundChangeCollector(rounds_per_author=2)
    assert collector.add(rig.round_change(0, 1))
    assert not collector.add(rig.round_change(0, 1))
    assert collector.add(rig.round_change(0, 2))
    assert collector.highest_per_author() == {rig.signer(0).address: 2}
    collector.prune_below(2)
    assert collector.for_round(1) == ()
    assert len(collector.for_round(2)) == 1


def test_collector_memory_per_validator_is_bounded(rig: Rig) -> None:
    collector = RoundChangeCollector(rounds_per_author=2)
    for r in range(1, 50):
        collector.add(rig.round_change(0, r))
    assert collector.highest_per_author() == {rig.signer(0).address: 49}
    assert [r for r in range(1, 50) if collector.for_round(r)] == [48, 49]
