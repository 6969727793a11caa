"""A single machine under test, surrounded by validators whose messages the test writes by hand.

Scenario tests use the whole ``SimNetwork``; unit tests of transitions use this rig, where every input
is explicit and every output action can be asserted in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, overload

from eth_typing import Address, Hash32

from node.consensus.qbft.actions import Action, Broadcast, CommitBlock, PersistState, Rejected, RequestBlock
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.messages import (
    Commit,
    Prepare,
    Proposal,
    QbftMessage,
    RoundChange,
    make_commit,
    make_prepare,
    make_proposal,
    make_round_change,
)
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.round_change import PreparedCertificate
from node.consensus.qbft.simulation import GENESIS_HASH, CommittedBlock, SimBlock, SimChainPort
from node.consensus.qbft.snapshot import Snapshot
from node.consensus.qbft.state_machine import QbftMachine

CONFIG = QbftConfig(block_period=1.0, request_timeout=2.0, max_round_timeout=16.0)


def make_signers(n: int, offset: int = 1) -> list[LocalKeySigner]:
    """Return ``n`` deterministic signers sorted by address (index = position in the validator list)."""
    signers = [LocalKeySigner(bytes([i + offset]) * 32) for i in range(n)]
    return sorted(signers, key=lambda s: s.address)


class Rig:
    def __init__(
        self,
        n: int = 4,
        me: int = 1,
        *,
        config: QbftConfig = CONFIG,
        restored: Snapshot | None = None,
        validators: Sequence[Address] | None = None,
    ) -> None:
        self.signers = make_signers(n)
        self.me = self.signers[me]
        self.chain: list[CommittedBlock] = []
        self.port = SimChainPort(self.chain)
        self.config = config
        self.machine = QbftMachine(config, self.me, self.port, restored=restored)
        addresses = tuple(validators) if validators is not None else tuple(s.address for s in self.signers)
        self.info = HeightInfo(1, addresses, None, 0.0)
        self.now = 0.0

    def start(self, now: float = 0.0) -> list[Action]:
        self.now = now
        return self.machine.start_height(self.info, now)

    def signer(self, index: int) -> LocalKeySigner:
        return self.signers[index]

    def proposer_index(self, round_number: int) -> int:
        address = self.info.proposer(round_number)
        return next(i for i, s in enumerate(self.signers) if s.address == address)

    def others(self) -> list[int]:
        return [i for i, s in enumerate(self.signers) if s is not self.me]

    def block(self, proposer: int, payload: bytes = b"txs", number: int = 1) -> SimBlock:
        return SimBlock(number, GENESIS_HASH, self.signers[proposer].address, 1000, payload)

    # --- message factories ----------------------------------------------------------------------

    def proposal(
        self,
        round_number: int,
        block: SimBlock,
        *,
        by: int | None = None,
        round_changes: Sequence[RoundChange] = (),
        prepares: Sequence[Prepare] = (),
        height: int = 1,
    ) -> Proposal:
        author = self.proposer_index(round_number) if by is None else by
        return make_proposal(
            self.signers[author],
            self.port,
            height,
            round_number,
            block,
            round_changes=[rc.signed for rc in round_changes],
            prepares=[p.signed for p in prepares],
        )

    def prepare(self, by: int, round_number: int, digest: Hash32, height: int = 1) -> Prepare:
        return make_prepare(self.signers[by], height, round_number, digest)

    def commit(
        self, by: int, round_number: int, block: SimBlock, *, seal_by: int | None = None, height: int = 1
    ) -> Commit:
        sealer = self.signers[by if seal_by is None else seal_by]
        seal = sealer.sign(self.port.seal_hash(block, round_number))
        return make_commit(self.signers[by], height, round_number, block.hash, seal)

    def round_change(
        self, by: int, round_number: int, cert: PreparedCertificate | None = None, height: int = 1
    ) -> RoundChange:
        if cert is None:
            return make_round_change(self.signers[by], self.port, height, round_number)
        return make_round_change(
            self.signers[by],
            self.port,
            height,
            round_number,
            prepared_round=cert.round,
            prepared_block=cert.block,
            prepares=cert.prepares,
        )

    def certificate(self, round_number: int, block: SimBlock, by: Sequence[int]) -> PreparedCertificate:
        prepares = tuple(self.prepare(i, round_number, block.hash).signed for i in by)
        return PreparedCertificate(round_number, block, block.encode(), prepares)

    def deliver(self, message: QbftMessage, now: float | None = None) -> list[Action]:
        if now is not None:
            self.now = now
        return self.machine.on_message(message.encode(), self.now)


M = TypeVar("M", Proposal, Prepare, Commit, RoundChange)


@overload
def broadcasts(actions: Sequence[Action], kind: type[M]) -> list[M]: ...
@overload
def broadcasts(actions: Sequence[Action]) -> list[QbftMessage]: ...
def broadcasts(actions: Sequence[Action], kind: type | None = None) -> list[Any]:
    return [
        a.message
        for a in actions
        if isinstance(a, Broadcast) and (kind is None or isinstance(a.message, kind))
    ]


def rejections(actions: Sequence[Action]) -> list[Rejected]:
    return [a for a in actions if isinstance(a, Rejected)]


def commits_of(actions: Sequence[Action]) -> list[CommitBlock]:
    return [a for a in actions if isinstance(a, CommitBlock)]


def requests(actions: Sequence[Action]) -> list[RequestBlock]:
    return [a for a in actions if isinstance(a, RequestBlock)]


def persisted_before_broadcast(actions: Sequence[Action]) -> bool:
    """Whether the first broadcast in ``actions`` is preceded by a ``PersistState``."""
    for action in actions:
        if isinstance(action, PersistState):
            return True
        if isinstance(action, Broadcast):
            return False
    return True
