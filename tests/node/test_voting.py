"""The vote tally (pure) and this validator's pending votes (persisted)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from eth_typing import Address

from node.bft.extra_data import Vote
from node.storage.lmdb_store import LmdbStore
from node.voting import PendingVotes, Tally, VoteRejected, apply_vote

V = tuple(Address(bytes([i]) * 20) for i in range(1, 6))
NEW = Address(b"\x09" * 20)


def _run(
    votes: Sequence[tuple[Address, Vote | None]], validators: tuple[Address, ...] = V
) -> tuple[Address, ...]:
    tally = Tally()
    for proposer, vote in votes:
        validators, tally = apply_vote(validators, tally, proposer, vote)
    return validators


def test_a_candidate_joins_when_more_than_half_agree() -> None:
    assert _run([(V[0], Vote(NEW, True)), (V[1], Vote(NEW, True))]) == V  # 2 of 5 is not enough
    added = _run([(V[0], Vote(NEW, True)), (V[1], Vote(NEW, True)), (V[2], Vote(NEW, True))])
    assert added == tuple(sorted((*V, NEW)))


def test_a_validators_latest_vote_counts_once() -> None:
    votes = [(V[0], Vote(NEW, True))] * 5 + [(V[1], Vote(NEW, True))]
    assert _run(votes) == V


def test_removal_and_votes_from_outsiders() -> None:
    drop = [(V[i], Vote(V[4], False)) for i in range(3)]
    assert _run(drop) == V[:4]
    assert _run([(NEW, Vote(V[4], False))] * 3) == V  # not a validator: ignored
    assert _run([(V[0], Vote(V[1], True))]) == V  # adding a member changes nothing


def test_removal_clears_the_removed_validators_ballots() -> None:
    validators, tally = apply_vote(V, Tally(), V[4], Vote(NEW, True))
    for i in range(3):
        validators, tally = apply_vote(validators, tally, V[i], Vote(V[4], False))
    assert V[4] not in validators
    assert V[4] not in tally.votes.get(NEW, {})


def test_pending_votes_persist_and_become_moot(tmp_path) -> None:
    store = LmdbStore(tmp_path / "db")
    try:
        votes = PendingVotes(store)
        votes.propose(NEW, True, V)
        with pytest.raises(VoteRejected):
            votes.propose(V[0], True, V)
        assert PendingVotes(store).pending() == {NEW: True}
        assert votes.next_vote(V, {}) == Vote(NEW, True)
        assert votes.next_vote(V, {NEW: True}) is None  # our ballot is already counted
        assert votes.next_vote((*V, NEW), {}) is None  # it happened: the vote is dropped
        assert PendingVotes(store).pending() == {}
    finally:
        store.close()
