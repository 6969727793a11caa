"""Who proposes at a height and round: Besu's round-robin over the sorted validator list.

Rotation starts after the previous block's proposer so that no validator proposes two blocks in a row
while others wait; adding the round moves the duty on when a proposer is down. A previous proposer that
is no longer a validator (it was voted out) is replaced by the first validator sorting after it, so the
rotation continues where it would have been.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_typing import Address

from node.consensus.exceptions import ConsensusError


def sorted_validators(validators: Sequence[Address]) -> tuple[Address, ...]:
    """Return the validators sorted by address bytes, refusing duplicates and empty sets."""
    ordered = tuple(sorted(validators))
    if not ordered:
        raise ConsensusError("a validator set needs at least one validator")
    if len(set(ordered)) != len(ordered):
        raise ConsensusError("a validator set must not list an address twice")
    return ordered


def proposer_for_round(
    validators: Sequence[Address], previous_proposer: Address | None, round_number: int
) -> Address:
    """Return the proposer of ``round_number`` given the validators (any order) and the last proposer.

    ``previous_proposer`` is ``None`` for the first block after genesis: rotation starts at index 0.
    """
    if round_number < 0:
        raise ConsensusError(f"round must not be negative, got {round_number}")
    ordered = sorted_validators(validators)
    if previous_proposer is None:
        start = 0
    elif previous_proposer in ordered:
        start = ordered.index(previous_proposer) + 1
    else:
        later = [i for i, address in enumerate(ordered) if address > previous_proposer]
        start = later[0] if later else 0
    return ordered[(start + round_number) % len(ordered)]
