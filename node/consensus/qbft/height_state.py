"""Per-height bookkeeping: what the node tells the machine about a height, and per-round message sets.

Kept apart from the transition logic so each piece stays small: :class:`HeightInfo` is the node's input
(validators decided by header votes, the previous proposer for rotation, the parent's timestamp for the
block period), :class:`RoundState` holds one round's proposal and votes, and
:class:`FutureHeightBuffer` holds messages for heights not reached yet, bounded per sender.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_typing import Address, Hash32

from node.consensus.exceptions import ConsensusError
from node.consensus.qbft.messages import Commit, PreparePayload, Proposal, QbftMessage, Signed
from node.consensus.qbft.proposer import proposer_for_round, sorted_validators
from node.consensus.qbft.quorum import quorum


@dataclass(frozen=True, slots=True)
class HeightInfo:
    """What the node knows when a height starts (after committing or importing its parent)."""

    height: int
    validators: tuple[Address, ...]
    """The validator set that seals this height (after the parent's votes were applied)."""
    previous_proposer: Address | None
    """The parent block's proposer; ``None`` for the first block after genesis."""
    parent_timestamp: float
    """Seconds since the epoch; round 0 starts no earlier than this plus the block period."""

    def __post_init__(self) -> None:
        if self.height < 1:
            raise ConsensusError(f"consensus runs for heights from 1, got {self.height}")
        object.__setattr__(self, "validators", sorted_validators(self.validators))

    @property
    def validator_set(self) -> frozenset[Address]:
        return frozenset(self.validators)

    @property
    def quorum(self) -> int:
        return quorum(len(self.validators))

    def proposer(self, round_number: int) -> Address:
        return proposer_for_round(self.validators, self.previous_proposer, round_number)


@dataclass(slots=True)
class RoundState:
    """One round's proposal and the votes received for it, one per validator."""

    proposal: Proposal | None = None
    refused: Hash32 | None = None
    """Hash of a proposal whose block the node declared invalid: never validated again, nor a second one."""
    prepares: dict[Address, Signed[PreparePayload]] = field(default_factory=dict)
    commits: dict[Address, Commit] = field(default_factory=dict)
    """Commits whose seal is verified once the proposal is known (unverified ones wait here)."""

    @property
    def digest(self) -> Hash32 | None:
        return None if self.proposal is None else self.proposal.block.hash

    def matching_prepares(self) -> tuple[Signed[PreparePayload], ...]:
        digest = self.digest
        return tuple(
            self.prepares[a] for a in sorted(self.prepares) if self.prepares[a].payload.digest == digest
        )

    def matching_commits(self) -> tuple[Commit, ...]:
        digest = self.digest
        return tuple(self.commits[a] for a in sorted(self.commits) if self.commits[a].digest == digest)


class FutureHeightBuffer:
    """Decoded messages for heights above the current one, bounded per height and sender."""

    def __init__(self, window: int, per_sender: int) -> None:
        self._window = window
        self._per_sender = per_sender
        self._by_height: dict[int, dict[Address, list[QbftMessage]]] = {}

    def accepts_height(self, height: int, current: int) -> bool:
        return current < height <= current + self._window

    def add(self, message: QbftMessage) -> bool:
        """Buffer ``message``; return False when its sender's quota for that height is used up."""
        per_sender = self._by_height.setdefault(message.height, {}).setdefault(message.author, [])
        if len(per_sender) >= self._per_sender:
            return False
        per_sender.append(message)
        return True

    def take(self, height: int) -> list[QbftMessage]:
        """Return (in arrival order per sender) and forget the messages for ``height`` and below."""
        taken: list[QbftMessage] = []
        for h in sorted(self._by_height):
            if h > height:
                break
            per_height = self._by_height.pop(h)
            if h == height:
                for author in sorted(per_height):
                    taken.extend(per_height[author])
        return taken

    def __len__(self) -> int:
        return sum(len(msgs) for per_height in self._by_height.values() for msgs in per_height.values())
