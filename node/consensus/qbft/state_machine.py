"""The QBFT state machine of one validator: messages and clock ticks in, actions out.

No sockets, no clock, no threads: every entry point takes ``now`` and returns a list of actions for the
node to execute in order (see ``actions.py``). The machine is deterministic given its inputs, which is
what lets the simulation in ``simulation.py`` replay partitions, crashes and Byzantine peers exactly.

Per height it follows the EEA QBFT specification as Besu implements it: PROPOSAL → PREPARE (quorum) →
COMMIT with seal (quorum) → decide; on timeout, ROUND-CHANGE with the prepared certificate; a new
round's proposer proposes once it holds a quorum of round changes, re-proposing the best prepared block.
On top of Besu it caps round timeouts, jumps rounds on ``f + 1`` round changes, answers a lagging
validator's old round change with its own current one (fast recovery after a partition heals), lets a
late commit quorum of a recent past round still decide, and persists its votes before sending them.
"""

from __future__ import annotations

from eth_typing import Address

from node.consensus.exceptions import MalformedMessage, ProtocolMisuse
from node.consensus.qbft.actions import (
    Action,
    Broadcast,
    CommitBlock,
    PersistState,
    Rejected,
    RejectReason,
    RequestBlock,
    SetTimer,
)
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import FutureHeightBuffer, HeightInfo, RoundState
from node.consensus.qbft.messages import (
    Commit,
    Prepare,
    Proposal,
    QbftMessage,
    RoundChange,
    decode_message,
    make_commit,
    make_prepare,
    make_proposal,
    make_round_change,
)
from node.consensus.qbft.ports import BlockPort, ConsensusBlock, Signer, recover_address
from node.consensus.qbft.round_change import (
    PreparedCertificate,
    RoundChangeCollector,
    best_prepared,
    early_round_change_target,
    validate_proposal_justification,
    validate_round_change,
)
from node.consensus.qbft.round_timer import round_timeout
from node.consensus.qbft.snapshot import Snapshot, Vote
from node.exceptions import NodeError


class QbftMachine:
    """One validator's QBFT instance across heights.

    Drive it with :meth:`start_height` (after the node committed or imported the parent),
    :meth:`on_message` (bytes from the transport), :meth:`on_tick` (when a :class:`SetTimer` deadline
    passed) and :meth:`on_block_built` (the answer to :class:`RequestBlock`). Restore a restarted
    validator by passing its last persisted :class:`Snapshot` to the constructor.
    """

    _round: int
    _round_deadline: float | None
    _block_timer: float | None
    _requested_round: int | None
    _proposed_rounds: set[int]
    _rounds: dict[int, RoundState]
    _round_changes: RoundChangeCollector
    _prepared: PreparedCertificate | None
    _prepare_vote: Vote | None
    _commit_vote: Vote | None
    _own_round_change: RoundChange | None
    _answered_laggards: set[Address]
    _decided: bool

    def __init__(
        self,
        config: QbftConfig,
        signer: Signer,
        port: BlockPort,
        *,
        restored: Snapshot | None = None,
    ) -> None:
        self.config = config
        self.signer = signer
        self.port = port
        self._restored = restored
        self._info: HeightInfo | None = None
        self._future = FutureHeightBuffer(config.future_height_window, config.max_buffered_per_sender)
        self._base_height = restored.height - 1 if restored is not None else 0
        self._out: list[Action] = []
        self._dirty = False
        self._last_timer: float | None = None
        self._reset_height_state()

    # --- read-only views -------------------------------------------------------------------------------

    @property
    def address(self) -> Address:
        return self.signer.address

    @property
    def height(self) -> int | None:
        return None if self._info is None else self._info.height

    @property
    def round(self) -> int:
        return self._round

    @property
    def decided(self) -> bool:
        return self._decided

    @property
    def info(self) -> HeightInfo | None:
        return self._info

    def snapshot(self) -> Snapshot:
        """Return the state that must be persisted (also emitted as ``PersistState`` when it changes)."""
        return Snapshot(
            height=self._info.height if self._info is not None else self._base_height,
            round=self._round,
            prepare_vote=self._prepare_vote,
            commit_vote=self._commit_vote,
            prepared=self._prepared,
        )

    def next_deadline(self) -> float | None:
        """Return when :meth:`on_tick` must next be called, or None when no timer runs."""
        if self._decided or self._info is None:
            return None
        deadlines = [d for d in (self._block_timer, self._round_deadline) if d is not None]
        return min(deadlines) if deadlines else None

    # --- entry points ---------------------------------------------------------------------------------

    def start_height(self, info: HeightInfo, now: float) -> list[Action]:
        """Begin ``info.height``: after a local ``CommitBlock`` was persisted or a block was imported.

        Starting the current height again is a no-op; starting a lower one is a bug in the caller.
        """
        if self._info is not None:
            if info.height < self._info.height:
                raise ProtocolMisuse(f"cannot go back from height {self._info.height} to {info.height}")
            if info.height == self._info.height:
                return []
        self._info = info
        self._base_height = info.height
        self._reset_height_state()
        start = max(now, info.parent_timestamp + self.config.block_period)
        self._round_deadline = start + round_timeout(self.config, 0)
        restored = self._restored
        self._restored = None
        if restored is not None and restored.height == info.height:
            self._resume(restored, now)
        elif info.proposer(0) == self.address:
            self._block_timer = start
        for message in self._future.take(info.height):
            self._dispatch(message, now)
        if self._block_timer is not None and now >= self._block_timer:
            self._fire_block_timer()
        return self._finish()

    def on_block_imported(self, next_height: HeightInfo, now: float) -> list[Action]:
        """A block for the current height (or above) arrived by sync with valid seals: move on.

        This is how a validator that missed the decision (crashed, partitioned, restarted with an empty
        data directory) rejoins; the round timer always restarts, so it can never sit idle (besu#8307).
        """
        if self._info is not None and next_height.height <= self._info.height:
            return []
        return self.start_height(next_height, now)

    def on_message(self, data: bytes, now: float) -> list[Action]:
        """Handle one wire message from a peer."""
        if len(data) > self.config.max_message_bytes:
            self._reject(None, RejectReason.OVERSIZE, f"{len(data)} bytes")
            return self._finish()
        try:
            message = decode_message(data, self.port)
        except MalformedMessage as exc:
            self._reject(None, RejectReason.MALFORMED, str(exc))
            return self._finish()
        return self.on_decoded(message, now)

    def on_decoded(self, message: QbftMessage, now: float) -> list[Action]:
        """Handle one already decoded (and signature-recovered) message."""
        self._dispatch(message, now)
        return self._finish()

    def on_tick(self, now: float) -> list[Action]:
        """The clock reached (or passed) a deadline from ``SetTimer``; early calls do nothing."""
        if self._info is None or self._decided:
            return self._finish()
        if self._block_timer is not None and now >= self._block_timer:
            self._fire_block_timer()
        if self._round_deadline is not None and now >= self._round_deadline:
            self._enter_round(self._round + 1, now, send_round_change=True)
        return self._finish()

    def on_block_built(self, block: ConsensusBlock, now: float) -> list[Action]:
        """The node built the block asked for by ``RequestBlock``; propose it if still relevant."""
        info = self._info
        if info is None or self._decided or self._requested_round != self._round:
            return self._finish()
        if block.number != info.height:
            raise ProtocolMisuse(f"built block {block.number} for height {info.height}")
        self._requested_round = None
        round_number = self._round
        if round_number == 0:
            self._propose(make_proposal(self.signer, self.port, info.height, 0, block), now)
            return self._finish()
        round_changes = self._round_changes.for_round(round_number)
        best = best_prepared(round_changes)
        if best is not None and best.prepared_block is not None:
            # A prepared certificate arrived while the block was being built: it takes precedence.
            block = best.prepared_block
            prepares = best.prepares
        else:
            prepares = ()
        proposal = make_proposal(
            self.signer,
            self.port,
            info.height,
            round_number,
            block,
            round_changes=[rc.signed for rc in round_changes],
            prepares=prepares,
        )
        self._propose(proposal, now)
        return self._finish()

    # --- internals: bookkeeping -------------------------------------------------------------------------

    def _reset_height_state(self) -> None:
        self._round = 0
        self._round_deadline = None
        self._block_timer = None
        self._requested_round = None
        self._proposed_rounds: set[int] = set()
        self._rounds: dict[int, RoundState] = {}
        self._round_changes = RoundChangeCollector(self.config.future_round_window)
        self._prepared: PreparedCertificate | None = None
        self._prepare_vote: Vote | None = None
        self._commit_vote: Vote | None = None
        self._own_round_change: RoundChange | None = None
        self._answered_laggards: set[Address] = set()
        self._decided = False

    def _resume(self, snap: Snapshot, now: float) -> None:
        """Continue a height after a restart with the votes and certificate persisted before the crash."""
        self._round = snap.round
        self._prepare_vote = snap.prepare_vote
        self._commit_vote = snap.commit_vote
        self._prepared = snap.prepared
        self._round_deadline = now + round_timeout(self.config, snap.round)
        if snap.round > 0:
            self._send_round_change()

    def _finish(self) -> list[Action]:
        deadline = self.next_deadline()
        if deadline is not None and deadline != self._last_timer:
            self._out.append(SetTimer(deadline))
        self._last_timer = deadline
        out, self._out = self._out, []
        return out

    def _is_validator(self) -> bool:
        return self._info is not None and self.address in self._info.validator_set

    def _send(self, message: QbftMessage) -> None:
        """Persist first if the state changed, then broadcast: a crash can never forget a sent vote."""
        if not self._is_validator():
            return
        if self._dirty:
            self._out.append(PersistState(self.snapshot()))
            self._dirty = False
        self._out.append(Broadcast(message))

    def _reject(self, sender: Address | None, reason: RejectReason, detail: str) -> None:
        self._out.append(Rejected(sender, reason, detail))

    def _round_state(self, round_number: int) -> RoundState:
        return self._rounds.setdefault(round_number, RoundState())

    # --- internals: dispatch ----------------------------------------------------------------------------

    def _dispatch(self, message: QbftMessage, now: float) -> None:
        info = self._info
        current = info.height if info is not None else self._base_height
        if info is None or message.height > current:
            if not self._future.accepts_height(message.height, current):
                reason = (
                    RejectReason.STALE_HEIGHT
                    if message.height <= current
                    else RejectReason.FUTURE_HEIGHT_TOO_FAR
                )
                self._reject(message.author, reason, f"height {message.height}, at {current}")
            elif not self._future.add(message):
                self._reject(message.author, RejectReason.BUFFER_FULL, f"height {message.height}")
            return
        if message.height < current:
            self._reject(message.author, RejectReason.STALE_HEIGHT, f"height {message.height}, at {current}")
            return
        if message.author not in info.validator_set:
            self._reject(message.author, RejectReason.NOT_VALIDATOR, f"height {current}")
            return
        if self._decided:
            self._reject(message.author, RejectReason.ALREADY_DECIDED, f"height {current}")
            return
        if (
            isinstance(message, Prepare | Commit)
            and message.round > self._round + self.config.future_round_window
        ):
            # Votes are buffered per round, so far-future ones are bounded; round changes and justified
            # proposals are not, so a validator that restarts far behind can still catch up.
            self._reject(message.author, RejectReason.FUTURE_ROUND_TOO_FAR, f"round {message.round}")
            return
        if isinstance(message, Proposal):
            self._on_proposal(message, now)
        elif isinstance(message, Prepare):
            self._on_prepare(message, now)
        elif isinstance(message, Commit):
            self._on_commit(message, now)
        else:
            self._on_round_change(message, now)

    def _on_proposal(self, proposal: Proposal, now: float) -> None:
        info = self._info
        if info is None:
            return
        r = proposal.round
        if r < self._round:
            self._reject(proposal.author, RejectReason.OLD_ROUND, f"round {r} < {self._round}")
            return
        if proposal.author != info.proposer(r):
            self._reject(proposal.author, RejectReason.WRONG_PROPOSER, f"round {r}")
            return
        existing = self._rounds.get(r)
        seen = None if existing is None else existing.digest or existing.refused
        if seen is not None:
            if seen == proposal.block.hash:
                self._reject(proposal.author, RejectReason.DUPLICATE, f"proposal round {r}")
            else:
                self._reject(proposal.author, RejectReason.EQUIVOCATION, f"second proposal in round {r}")
            return
        block = proposal.block
        if block.number != info.height:
            self._reject(proposal.author, RejectReason.INVALID_BLOCK, f"block number {block.number}")
            return
        why = validate_proposal_justification(proposal, validators=info.validator_set)
        if why is not None:
            self._reject(proposal.author, RejectReason.INVALID_JUSTIFICATION, why)
            return
        # A fresh block names its proposer; a re-proposed prepared block keeps the original one
        # (its hash is fixed by the certificate, as in Besu, which checks the coinbase in round 0 only).
        if block.proposer != proposal.author and not proposal.prepares:
            self._reject(proposal.author, RejectReason.INVALID_BLOCK, "block names another proposer")
            return
        if not self._block_is_valid(block):
            # Remember it: re-validating (re-executing) every copy or variant would be a cheap DoS.
            self._round_state(r).refused = block.hash
            self._reject(proposal.author, RejectReason.INVALID_BLOCK, "rejected by the node")
            return
        if r > self._round:
            # A justified proposal proves a quorum left for round r: follow it.
            self._enter_round(r, now, send_round_change=False)
        self._accept_proposal(proposal, now)

    def _block_is_valid(self, block: ConsensusBlock) -> bool:
        try:
            return bool(self.port.is_valid(block))
        except NodeError:
            return False

    def _accept_proposal(self, proposal: Proposal, now: float) -> None:
        """Record the round's proposal and send our PREPARE for it (at most one block per round)."""
        r = proposal.round
        digest = proposal.block.hash
        vote = self._prepare_vote
        if vote is not None and vote[0] == r and vote[1] != digest:
            self._reject(
                proposal.author, RejectReason.EQUIVOCATION, f"we already prepared another block in {r}"
            )
            return
        rs = self._round_state(r)
        rs.proposal = proposal
        self._verify_waiting_seals(rs, r)
        if vote != (r, digest):
            self._prepare_vote = (r, digest)
            self._dirty = True
        prepare = make_prepare(self.signer, proposal.height, r, digest)
        self._send(prepare)
        if self._is_validator():
            rs.prepares.setdefault(self.address, prepare.signed)
        self._check_round(r, now)

    def _verify_waiting_seals(self, rs: RoundState, r: int) -> None:
        if rs.proposal is None:
            return
        block = rs.proposal.block
        for author, commit in list(rs.commits.items()):
            if commit.digest == block.hash and not self._seal_ok(commit, block, r):
                del rs.commits[author]
                self._reject(author, RejectReason.FORGED_SEAL, f"round {r}")

    def _seal_ok(self, commit: Commit, block: ConsensusBlock, r: int) -> bool:
        try:
            return recover_address(self.port.seal_hash(block, r), commit.seal) == commit.author
        except MalformedMessage:
            return False

    def _on_prepare(self, prepare: Prepare, now: float) -> None:
        r = prepare.round
        if r < self._round:
            self._reject(prepare.author, RejectReason.OLD_ROUND, f"prepare round {r}")
            return
        rs = self._round_state(r)
        existing = rs.prepares.get(prepare.author)
        if existing is not None:
            if existing.payload.digest == prepare.digest:
                self._reject(prepare.author, RejectReason.DUPLICATE, f"prepare round {r}")
            else:
                self._reject(prepare.author, RejectReason.EQUIVOCATION, f"two prepares in round {r}")
            return
        rs.prepares[prepare.author] = prepare.signed
        if r == self._round:
            self._check_round(r, now)

    def _on_commit(self, commit: Commit, now: float) -> None:
        r = commit.round
        if r < self._round and r not in self._rounds:
            self._reject(commit.author, RejectReason.OLD_ROUND, f"commit round {r}")
            return
        rs = self._round_state(r)
        existing = rs.commits.get(commit.author)
        if existing is not None:
            if existing.digest == commit.digest:
                self._reject(commit.author, RejectReason.DUPLICATE, f"commit round {r}")
            else:
                self._reject(commit.author, RejectReason.EQUIVOCATION, f"two commits in round {r}")
            return
        if (
            rs.proposal is not None
            and commit.digest == rs.proposal.block.hash
            and not self._seal_ok(commit, rs.proposal.block, r)
        ):
            self._reject(commit.author, RejectReason.FORGED_SEAL, f"round {r}")
            return
        rs.commits[commit.author] = commit
        self._check_round(r, now)

    def _check_round(self, r: int, now: float) -> None:
        """Send COMMIT once prepared (current round only); decide once a quorum of COMMITs matches."""
        info = self._info
        rs = self._rounds.get(r)
        if info is None or rs is None or rs.proposal is None or self._decided:
            return
        block = rs.proposal.block
        digest = block.hash
        if r == self._round:
            prepares = rs.matching_prepares()
            already = self._commit_vote is not None and self._commit_vote[0] == r
            if len(prepares) >= info.quorum and not already:
                self._prepared = PreparedCertificate(
                    r, block, rs.proposal.signed.payload.block_bytes, prepares
                )
                self._commit_vote = (r, digest)
                self._dirty = True
                seal = self.signer.sign(self.port.seal_hash(block, r))
                commit = make_commit(self.signer, info.height, r, digest, seal)
                self._send(commit)
                if self._is_validator():
                    rs.commits.setdefault(self.address, commit)
        commits = rs.matching_commits()
        if len(commits) >= info.quorum:
            self._decided = True
            self._block_timer = None
            self._round_deadline = None
            self._out.append(
                CommitBlock(
                    block=block,
                    round=r,
                    seals=tuple(c.seal for c in commits),
                    signers=tuple(c.author for c in commits),
                )
            )

    def _on_round_change(self, rc: RoundChange, now: float) -> None:
        info = self._info
        if info is None:
            return
        r = rc.round
        if r < self._round:
            # A lagging validator: show it where we are (fast recovery), once per validator and round.
            own = self._own_round_change
            if own is not None and rc.author not in self._answered_laggards:
                self._answered_laggards.add(rc.author)
                self._send(own)
            self._reject(rc.author, RejectReason.OLD_ROUND, f"round change for {r}")
            return
        why = validate_round_change(rc, height=info.height, validators=info.validator_set)
        if why is not None:
            self._reject(rc.author, RejectReason.INVALID_CERTIFICATE, why)
            return
        if not self._round_changes.add(rc):
            self._reject(rc.author, RejectReason.DUPLICATE, f"round change for {r}")
            return
        if r > self._round:
            target = early_round_change_target(
                self._round_changes.highest_per_author(), self._round, len(info.validators)
            )
            if target is not None:
                self._enter_round(target, now, send_round_change=True)
        self._maybe_propose(now)

    # --- internals: rounds -----------------------------------------------------------------------------

    def _enter_round(self, r: int, now: float, *, send_round_change: bool) -> None:
        if r <= self._round:
            return
        self._round = r
        self._dirty = True
        self._round_deadline = now + round_timeout(self.config, r)
        self._block_timer = None
        self._requested_round = None
        self._own_round_change = None
        self._answered_laggards = set()
        keep_from = r - self.config.retained_past_rounds
        for old in [k for k in self._rounds if k < r]:
            rs = self._rounds[old]
            if old < keep_from or rs.proposal is None:
                del self._rounds[old]
            else:
                rs.prepares.clear()  # only a late commit quorum can still matter for a past round
        self._round_changes.prune_below(r)
        if send_round_change:
            self._send_round_change()
        self._check_round(r, now)
        self._maybe_propose(now)

    def _send_round_change(self) -> None:
        info = self._info
        if info is None or not self._is_validator():
            return
        cert = self._prepared
        if cert is None:
            rc = make_round_change(self.signer, self.port, info.height, self._round)
        else:
            rc = make_round_change(
                self.signer,
                self.port,
                info.height,
                self._round,
                prepared_round=cert.round,
                prepared_block=cert.block,
                prepares=cert.prepares,
            )
        self._own_round_change = rc
        self._send(rc)
        self._round_changes.add(rc)

    def _fire_block_timer(self) -> None:
        info = self._info
        self._block_timer = None
        if info is None or self._round != 0 or info.proposer(0) != self.address:
            return
        if 0 in self._proposed_rounds or (self._prepare_vote is not None and self._prepare_vote[0] == 0):
            return  # after a restart: never propose a second block in a round we already voted in
        self._requested_round = 0
        self._out.append(RequestBlock(info.height, 0))

    def _maybe_propose(self, now: float) -> None:
        """As the new round's proposer, propose once a quorum of round changes for it is in."""
        info = self._info
        r = self._round
        if info is None or r == 0 or self._decided or not self._is_validator():
            return
        if info.proposer(r) != self.address or r in self._proposed_rounds:
            return
        rs = self._rounds.get(r)
        if rs is not None and rs.proposal is not None:
            return
        if self._prepare_vote is not None and self._prepare_vote[0] == r:
            return
        round_changes = self._round_changes.for_round(r)
        if len(round_changes) < info.quorum:
            return
        best = best_prepared(round_changes)
        if best is None or best.prepared_block is None:
            if self._requested_round != r:
                self._requested_round = r
                self._out.append(RequestBlock(info.height, r))
            return
        proposal = make_proposal(
            self.signer,
            self.port,
            info.height,
            r,
            best.prepared_block,
            round_changes=[rc.signed for rc in round_changes],
            prepares=best.prepares,
        )
        self._propose(proposal, now)

    def _propose(self, proposal: Proposal, now: float) -> None:
        r = proposal.round
        self._proposed_rounds.add(r)
        self._requested_round = None
        vote = self._prepare_vote
        if vote is not None and vote[0] == r and vote[1] != proposal.block.hash:
            return  # restored mid-round with another vote: stay silent rather than equivocate
        if vote != (r, proposal.block.hash):
            self._prepare_vote = (r, proposal.block.hash)
            self._dirty = True
        self._send(proposal)
        self._accept_proposal(proposal, now)
