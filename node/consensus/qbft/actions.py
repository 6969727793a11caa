"""What the machine asks the node to do, in the order it must be done.

The node executes a returned list front to back. The order carries the safety argument: a
:class:`PersistState` always comes before the :class:`Broadcast` whose content depends on it, so a
validator that crashes after sending can never come back having forgotten a vote (and vote differently).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eth_typing import Address

from node.consensus.qbft.messages import QbftMessage
from node.consensus.qbft.ports import ConsensusBlock
from node.consensus.qbft.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send ``message`` to every other validator (the machine has already processed its own copy)."""

    message: QbftMessage

    def encode(self) -> bytes:
        return self.message.encode()


@dataclass(frozen=True, slots=True)
class RequestBlock:
    """Build a candidate block for ``height`` on the current head and hand it to ``on_block_built``."""

    height: int
    round: int


@dataclass(frozen=True, slots=True)
class CommitBlock:
    """The height is decided: write ``block`` with ``round`` and these commit seals into its header.

    ``seals`` are 65-byte signatures of ``seal_hash(block, round)`` by ``signers`` (same order, sorted by
    address). After persisting the block the node calls ``start_height`` for the next height.
    """

    block: ConsensusBlock
    round: int
    seals: tuple[bytes, ...]
    signers: tuple[Address, ...]


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call ``on_tick`` once the clock reaches ``deadline`` (replaces any earlier timer)."""

    deadline: float


@dataclass(frozen=True, slots=True)
class PersistState:
    """Durably store ``snapshot`` (fsync) before executing the next action."""

    snapshot: Snapshot


class RejectReason(StrEnum):
    MALFORMED = "malformed"
    OVERSIZE = "oversize"
    NOT_VALIDATOR = "not_validator"
    STALE_HEIGHT = "stale_height"
    FUTURE_HEIGHT_TOO_FAR = "future_height_too_far"
    BUFFER_FULL = "buffer_full"
    OLD_ROUND = "old_round"
    FUTURE_ROUND_TOO_FAR = "future_round_too_far"
    ALREADY_DECIDED = "already_decided"
    DUPLICATE = "duplicate"
    WRONG_PROPOSER = "wrong_proposer"
    INVALID_JUSTIFICATION = "invalid_justification"
    INVALID_CERTIFICATE = "invalid_certificate"
    INVALID_BLOCK = "invalid_block"
    EQUIVOCATION = "equivocation"
    FORGED_SEAL = "forged_seal"


FAULTS = frozenset(
    {
        RejectReason.MALFORMED,
        RejectReason.OVERSIZE,
        RejectReason.NOT_VALIDATOR,
        RejectReason.WRONG_PROPOSER,
        RejectReason.INVALID_JUSTIFICATION,
        RejectReason.INVALID_CERTIFICATE,
        RejectReason.INVALID_BLOCK,
        RejectReason.EQUIVOCATION,
        RejectReason.FORGED_SEAL,
    }
)
"""Reasons only a faulty or malicious sender produces; the rest happen to honest peers (late, early)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message was dropped. ``fault`` marks Byzantine evidence for peer scoring.

    ``sender`` is the recovered author, or ``None`` when none could be recovered. For ``malformed`` and
    ``not_validator`` the author cannot be trusted: blame the peer connection that delivered the bytes.
    """

    sender: Address | None
    reason: RejectReason
    detail: str

    @property
    def fault(self) -> bool:
        return self.reason in FAULTS


Action = Broadcast | RequestBlock | CommitBlock | SetTimer | PersistState | Rejected
