import pytest
from eth_typing import Address

from node.consensus.exceptions import ConsensusError
from node.consensus.qbft.proposer import proposer_for_round, sorted_validators

A, B, C, D = (Address(bytes([x]) * 20) for x in (0x10, 0x20, 0x30, 0x40))


def test_first_block_starts_at_the_lowest_address_in_any_input_order() -> None:
    assert proposer_for_round([C, A, D, B], None, 0) == A
    assert proposer_for_round([C, A, D, B], None, 1) == B


def test_rotation_starts_after_previous_proposer_and_adds_the_round() -> None:
    validators = [A, B, C, D]
    assert proposer_for_round(validators, B, 0) == C
    assert proposer_for_round(validators, B, 1) == D
    assert proposer_for_round(validators, B, 2) == A  # wraps
    assert proposer_for_round(validators, D, 0) == A
    assert proposer_for_round(validators, B, 6) == proposer_for_round(validators, B, 2)


def test_removed_previous_proposer_hands_over_to_the_next_address() -> None:
    removed = Address(bytes([0x25]) * 20)  # sorts between B and C
    assert proposer_for_round([A, B, C, D], removed, 0) == C
    last = Address(b"\xff" * 20)  # sorts after everyone: wrap to the start
    assert proposer_for_round([A, B, C, D], last, 0) == A


def test_every_validator_proposes_once_per_cycle() -> None:
    validators = [A, B, C, D]
    previous: Address | None = None
    seen = []
    for _ in range(4):
        previous = proposer_for_round(validators, previous, 0)
        seen.append(previous)
    assert sorted(seen) == sorted(validators)


def test_invalid_sets_and_rounds_are_refused() -> None:
    with pytest.raises(ConsensusError):
        sorted_validators([])
    with pytest.raises(ConsensusError):
        sorted_validators([A, A])
    with pytest.raises(ConsensusError):
        proposer_for_round([A], None, -1)
