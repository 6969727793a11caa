"""Validator votes: this validator's pending proposals (``qbft_proposeValidatorVote``) and the tally rule.

A pending vote is local to one validator: it rides in the ``vote`` field of the headers this validator
proposes until the chain shows the change happened (or the operator discards it). The tally is pure: the
set after a block follows from the set before and the votes in the headers since the last epoch boundary,
so every node computes the same validator set from the same chain (see :func:`apply_vote`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import rlp
from eth.abc import BlockHeaderAPI
from eth_typing import Address, Hash32

from node.bft.extra_data import Vote, decode_extra_data
from node.exceptions import NodeError
from node.recent_cache import RecentCache

VOTES_NAMESPACE = "qbft"
VOTES_KEY = b"pending-votes"
MAX_PENDING_VOTES = 64


class _Store(Protocol):
    def get(self, namespace: str, key: bytes) -> bytes | None: ...

    def put_now(self, namespace: str, key: bytes, value: bytes | None) -> None: ...


class VoteRejected(NodeError):
    """A vote that cannot change anything (adding a validator, dropping a non-validator) or too many."""

    code = "vote_rejected"


@dataclass(slots=True)
class Tally:
    """Votes cast since the last epoch boundary or change: candidate -> {voter: add}."""

    votes: dict[Address, dict[Address, bool]] = field(default_factory=dict)

    def copy(self) -> Tally:
        return Tally({c: dict(v) for c, v in self.votes.items()})


def apply_vote(
    validators: tuple[Address, ...], tally: Tally, proposer: Address, vote: Vote | None
) -> tuple[tuple[Address, ...], Tally]:
    """Return the validator set and tally after a block by ``proposer`` carrying ``vote``.

    A validator's latest vote on a candidate counts; a vote that would change nothing is ignored; a
    candidate is added or dropped once more than half of the current validators voted that way, and
    then every vote on it, and every vote by a dropped validator, is cleared.
    """
    tally = tally.copy()
    if vote is None or proposer not in validators:
        return validators, tally
    member = vote.recipient in validators
    if vote.add == member:
        return validators, tally
    tally.votes.setdefault(vote.recipient, {})[proposer] = vote.add
    agreeing = sum(1 for add in tally.votes[vote.recipient].values() if add == vote.add)
    if agreeing * 2 <= len(validators):
        return validators, tally
    if vote.add:
        updated = tuple(sorted((*validators, vote.recipient)))
    else:
        updated = tuple(v for v in validators if v != vote.recipient)
        for ballots in tally.votes.values():
            ballots.pop(vote.recipient, None)
    tally.votes.pop(vote.recipient, None)
    return updated, tally


class PendingVotes:
    """This validator's own pending votes, persisted in the node's store."""

    def __init__(self, store: _Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        stored = store.get(VOTES_NAMESPACE, VOTES_KEY)
        self._votes: dict[Address, bool] = {}
        if stored is not None:
            for address, add in rlp.decode(stored):
                self._votes[Address(bytes(address))] = add == b"\x01"

    def _persist(self) -> None:
        encoded = rlp.encode([[a, b"\x01" if add else b""] for a, add in sorted(self._votes.items())])
        self._store.put_now(VOTES_NAMESPACE, VOTES_KEY, encoded)

    def propose(self, candidate: Address, add: bool, validators: tuple[Address, ...]) -> None:
        if add == (candidate in validators):
            verb = "already a validator" if add else "not a validator"
            raise VoteRejected(f"{candidate.hex()} is {verb}")
        with self._lock:
            if candidate not in self._votes and len(self._votes) >= MAX_PENDING_VOTES:
                raise VoteRejected(f"at most {MAX_PENDING_VOTES} pending votes")
            self._votes[candidate] = add
            self._persist()

    def discard(self, candidate: Address) -> bool:
        with self._lock:
            if self._votes.pop(candidate, None) is None:
                return False
            self._persist()
            return True

    def pending(self) -> dict[Address, bool]:
        with self._lock:
            return dict(self._votes)

    def next_vote(self, validators: tuple[Address, ...], already: dict[Address, bool]) -> Vote | None:
        """Return a vote worth casting now: it would change the set, and our ballot is not yet counted.

        Votes the chain has made moot (the change happened) are dropped here.
        """
        with self._lock:
            moot = [c for c, add in self._votes.items() if add == (c in validators)]
            for candidate in moot:
                del self._votes[candidate]
            if moot:
                self._persist()
            for candidate, add in sorted(self._votes.items()):
                if already.get(candidate) != add:
                    return Vote(candidate, add)
            return None


DEFAULT_EPOCH_LENGTH = 30_000
"""Besu's default: pending votes are forgotten every that many blocks."""
_TALLY_CACHE_SIZE = 1024
_tally_cache: RecentCache[tuple[bytes, int], tuple[tuple[Address, ...], Tally]] = RecentCache(
    _TALLY_CACHE_SIZE
)

HeaderLookup = Callable[[Hash32], BlockHeaderAPI]
"""Return the stored header with this hash (raise if unknown)."""


def _listed(header: BlockHeaderAPI) -> tuple[Address, ...]:
    return decode_extra_data(header.extra_data).validators


def tally_after(
    header: BlockHeaderAPI, parent_of: HeaderLookup, epoch_length: int = DEFAULT_EPOCH_LENGTH
) -> tuple[tuple[Address, ...], Tally]:
    """Return the validator set after the stored, already validated ``header`` and the open tally.

    At genesis and at every epoch boundary the tally is empty; in between it is replayed from the
    headers' votes (walking back to the boundary once, then cached by block hash).
    """
    key = (bytes(header.hash), epoch_length)
    cached = _tally_cache.get(key)
    if cached is not None:
        return cached
    path: list[BlockHeaderAPI] = []
    current = header
    base: tuple[tuple[Address, ...], Tally] | None = None
    while True:
        number = int(current.block_number)
        if number == 0 or number % epoch_length == 0:
            base = (_listed(current), Tally())
            break
        hit = _tally_cache.get((bytes(current.hash), epoch_length))
        if hit is not None:
            base = hit
            break
        path.append(current)
        current = parent_of(Hash32(current.parent_hash))
    validators, tally = base
    for step in reversed(path):
        validators, tally = apply_vote(
            validators, tally, Address(step.coinbase), decode_extra_data(step.extra_data).vote
        )
    result = (validators, tally)
    _tally_cache.put(key, result)
    return result


def expected_validators(
    header: BlockHeaderAPI,
    parent: BlockHeaderAPI,
    parent_of: HeaderLookup,
    epoch_length: int = DEFAULT_EPOCH_LENGTH,
) -> tuple[Address, ...]:
    """Return the validator set ``header`` must list: its parent's, with ``header``'s vote counted."""
    validators, tally = tally_after(parent, parent_of, epoch_length)
    vote = decode_extra_data(header.extra_data).vote
    return apply_vote(validators, tally, Address(header.coinbase), vote)[0]
