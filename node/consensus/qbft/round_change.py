"""Round changes: certificates, their validation, and the rules for leaving a round.

QBFT's safety across rounds rests on one rule: a proposal for round ``r > 0`` must show a quorum of
ROUND-CHANGEs for ``r``, and if any of them reports a prepared block, the proposal must carry the block
prepared in the highest round among them together with a quorum of PREPAREs for it. Any block that may
have been committed was prepared by a quorum, and every quorum of round changes intersects that quorum
in an honest validator, so the committed block is always the one re-proposed.

Liveness adds the early round change: ``f + 1`` validators asking for rounds above ours include an
honest one, so we jump to the lowest round at least ``f + 1`` of them reached instead of waiting out our
own (possibly long) timer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eth_typing import Address, Hash32

from node.consensus.qbft.messages import (
    PreparePayload,
    Proposal,
    RoundChange,
    Signed,
)
from node.consensus.qbft.ports import ConsensusBlock
from node.consensus.qbft.quorum import quorum, weak_quorum


@dataclass(frozen=True, slots=True)
class PreparedCertificate:
    """A block with a quorum of PREPAREs for it in ``round``: what a validator carries into round changes."""

    round: int
    block: ConsensusBlock
    block_bytes: bytes
    prepares: tuple[Signed[PreparePayload], ...]


def check_prepares(
    prepares: Sequence[Signed[PreparePayload]],
    *,
    height: int,
    round_number: int,
    digest: Hash32,
    validators: frozenset[Address],
) -> str | None:
    """Return why ``prepares`` are not a prepared certificate for ``(height, round, digest)``, or None."""
    authors: set[Address] = set()
    for prepare in prepares:
        payload = prepare.payload
        if (payload.height, payload.round, payload.digest) != (height, round_number, digest):
            return "a prepare is for another height, round or block"
        if prepare.author not in validators:
            return "a prepare is signed by a non-validator"
        if prepare.author in authors:
            return "two prepares from one validator"
        authors.add(prepare.author)
    if len(authors) < quorum(len(validators)):
        return f"{len(authors)} prepares, quorum is {quorum(len(validators))}"
    return None


def validate_round_change(rc: RoundChange, *, height: int, validators: frozenset[Address]) -> str | None:
    """Return why a ROUND-CHANGE is invalid (its certificate), or None; author/height checked by caller."""
    payload = rc.signed.payload
    if payload.prepared_round is None or payload.prepared_digest is None:
        if rc.prepared_block is not None or rc.prepares:
            return "a prepared block or prepares without prepared metadata"
        return None
    if payload.prepared_round >= payload.round:
        return "prepared round is not below the target round"
    block = rc.prepared_block
    if block is None:
        return "prepared metadata without the prepared block"
    if block.hash != payload.prepared_digest:
        return "prepared block does not match the prepared digest"
    if block.number != height:
        return "prepared block is for another height"
    return check_prepares(
        rc.prepares,
        height=height,
        round_number=payload.prepared_round,
        digest=payload.prepared_digest,
        validators=validators,
    )


def validate_proposal_justification(proposal: Proposal, *, validators: frozenset[Address]) -> str | None:
    """Return why a PROPOSAL's justification does not allow its block in its round, or None."""
    height, round_number = proposal.height, proposal.round
    if round_number == 0:
        if proposal.round_changes or proposal.prepares:
            return "a round-0 proposal carries a justification"
        return None
    authors: set[Address] = set()
    best_round: int | None = None
    for rc in proposal.round_changes:
        p = rc.payload
        if (p.height, p.round) != (height, round_number):
            return "a round change is for another height or round"
        if rc.author not in validators:
            return "a round change is signed by a non-validator"
        if rc.author in authors:
            return "two round changes from one validator"
        authors.add(rc.author)
        if p.prepared_round is not None and (best_round is None or p.prepared_round > best_round):
            best_round = p.prepared_round
    if len(authors) < quorum(len(validators)):
        return f"{len(authors)} round changes, quorum is {quorum(len(validators))}"
    if best_round is None:
        if proposal.prepares:
            return "prepares without any prepared round change"
        return None
    # Several round changes may share the best prepared round; the block must match one of them.
    candidates = {
        rc.payload.prepared_digest for rc in proposal.round_changes if rc.payload.prepared_round == best_round
    }
    if proposal.block.hash not in candidates:
        return "the proposed block is not the best prepared block"
    return check_prepares(
        proposal.prepares,
        height=height,
        round_number=best_round,
        digest=proposal.block.hash,
        validators=validators,
    )


def best_prepared(round_changes: Iterable[RoundChange]) -> RoundChange | None:
    """Return the round change whose prepared certificate has the highest round, or None."""
    best: RoundChange | None = None
    for rc in round_changes:
        pr = rc.signed.payload.prepared_round
        if pr is None:
            continue
        if best is None or pr > (best.signed.payload.prepared_round or 0):
            best = rc
    return best


def early_round_change_target(highest: Mapping[Address, int], current_round: int, n: int) -> int | None:
    """Return the round to jump to when ``f + 1`` validators asked for rounds above ``current_round``.

    ``highest`` maps each validator to the highest round it asked for. The answer is the highest round
    that at least ``f + 1`` of them reached: the lowest round among the ``f + 1`` highest requests.
    """
    ahead = sorted((r for r in highest.values() if r > current_round), reverse=True)
    needed = weak_quorum(n)
    if len(ahead) < needed:
        return None
    return ahead[needed - 1]


class RoundChangeCollector:
    """Valid ROUND-CHANGEs of one height, one per validator and round, for rounds not yet left."""

    def __init__(self, rounds_per_author: int) -> None:
        self._rounds_per_author = rounds_per_author
        self._by_round: dict[int, dict[Address, RoundChange]] = {}

    def add(self, rc: RoundChange) -> bool:
        """Store ``rc``; return False if its author already has one for that round.

        Each author keeps at most ``rounds_per_author`` rounds (its highest), so a flood of round
        changes for ever higher rounds costs bounded memory.
        """
        per_round = self._by_round.setdefault(rc.round, {})
        if rc.author in per_round:
            return False
        per_round[rc.author] = rc
        rounds = sorted(r for r, by_author in self._by_round.items() if rc.author in by_author)
        for stale in rounds[: max(0, len(rounds) - self._rounds_per_author)]:
            del self._by_round[stale][rc.author]
            if not self._by_round[stale]:
                del self._by_round[stale]
        return True

    def for_round(self, round_number: int) -> tuple[RoundChange, ...]:
        per_round = self._by_round.get(round_number, {})
        return tuple(per_round[a] for a in sorted(per_round))

    def highest_per_author(self) -> dict[Address, int]:
        highest: dict[Address, int] = {}
        for round_number, per_round in self._by_round.items():
            for author in per_round:
                highest[author] = max(highest.get(author, round_number), round_number)
        return highest

    def prune_below(self, round_number: int) -> None:
        for stale in [r for r in self._by_round if r < round_number]:
            del self._by_round[stale]
