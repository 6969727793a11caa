"""Transitions of one machine, with every other validator's message written by the test (n=4, q=3, f=1)."""

import pytest

from node.consensus.exceptions import ProtocolMisuse
from node.consensus.qbft.actions import (
    Broadcast,
    CommitBlock,
    PersistState,
    RejectReason,
    RequestBlock,
    SetTimer,
)
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.messages import Commit, Prepare, Proposal, RoundChange
from node.consensus.qbft.ports import recover_address
from node.consensus.qbft.simulation import INVALID_PAYLOAD
from tests.node.consensus.qbft.rig import (
    Rig,
    broadcasts,
    commits_of,
    persisted_before_broadcast,
    rejections,
    requests,
)


def reasons(actions) -> list[RejectReason]:
    return [r.reason for r in rejections(actions)]


@pytest.fixture
def rig() -> Rig:
    r = Rig(me=1)  # index 0 proposes round 0, index 1 (us) proposes round 1
    r.start()
    return r


def test_start_height_sets_round_timer_after_the_block_period() -> None:
    rig = Rig(me=1)
    actions = rig.start(now=0.0)
    # Round 0 starts at parent timestamp + block period (1 s) and lasts request_timeout (2 s).
    assert actions == [SetTimer(3.0)]
    assert rig.machine.round == 0 and rig.machine.height == 1


def test_proposer_asks_for_a_block_only_when_the_block_period_elapsed() -> None:
    rig = Rig(me=0)
    actions = rig.start(now=0.0)
    assert requests(actions) == []
    assert SetTimer(1.0) in actions
    assert requests(rig.machine.on_tick(0.5)) == []
    assert requests(rig.machine.on_tick(1.0)) == [RequestBlock(1, 0)]
    block = rig.block(0)
    out = rig.machine.on_block_built(block, 1.01)
    sent = broadcasts(out)
    assert isinstance(sent[0], Proposal) and sent[0].block == block and sent[0].round == 0
    assert isinstance(sent[1], Prepare) and sent[1].digest == block.hash
    assert persisted_before_broadcast(out)
    snapshot = next(a.snapshot for a in out if isinstance(a, PersistState))
    assert snapshot.prepare_vote == (0, block.hash)


def test_late_start_requests_the_block_at_once() -> None:
    rig = Rig(me=0)
    assert requests(rig.start(now=5.0)) == [RequestBlock(1, 0)]


def test_valid_proposal_is_persisted_then_prepared(rig: Rig) -> None:
    block = rig.block(0)
    out = rig.deliver(rig.proposal(0, block))
    assert isinstance(out[0], PersistState) and out[0].snapshot.prepare_vote == (0, block.hash)
    assert isinstance(out[1], Broadcast) and isinstance(out[1].message, Prepare)
    assert out[1].message.digest == block.hash and out[1].message.author == rig.me.address


def test_quorum_of_prepares_sends_a_commit_with_a_valid_seal(rig: Rig) -> None:
    block = rig.block(0)
    rig.deliver(rig.proposal(0, block))
    assert broadcasts(rig.deliver(rig.prepare(0, 0, block.hash)), Commit) == []  # own + 1 = 2 < 3
    out = rig.deliver(rig.prepare(2, 0, block.hash))
    (commit,) = broadcasts(out, Commit)
    assert persisted_before_broadcast(out)
    snapshot = next(a.snapshot for a in out if isinstance(a, PersistState))
    assert snapshot.commit_vote == (0, block.hash)
    assert snapshot.prepared is not None and snapshot.prepared.round == 0
    assert len(snapshot.prepared.prepares) == 3
    assert recover_address(rig.port.seal_hash(block, 0), commit.seal) == rig.me.address


def test_quorum_of_commits_decides_with_verifiable_seals(rig: Rig) -> None:
    block = rig.block(0)
    rig.deliver(rig.proposal(0, block))
    rig.deliver(rig.prepare(0, 0, block.hash))
    rig.deliver(rig.prepare(2, 0, block.hash))
    assert commits_of(rig.deliver(rig.commit(0, 0, block))) == []
    out = rig.deliver(rig.commit(2, 0, block))
    (decision,) = commits_of(out)
    assert decision.block == block and decision.round == 0
    assert len(decision.seals) == 3
    digest = rig.port.seal_hash(block, 0)
    assert {recover_address(digest, s) for s in decision.seals} == set(decision.signers)
    assert rig.machine.decided and rig.machine.next_deadline() is None
    # Further messages of this height change nothing.
    assert reasons(rig.deliver(rig.commit(3, 0, block))) == [RejectReason.ALREADY_DECIDED]


def test_commits_before_the_proposal_count_once_it_arrives(rig: Rig) -> None:
    block = rig.block(0)
    rig.deliver(rig.commit(0, 0, block))
    rig.deliver(rig.commit(2, 0, block))
    rig.deliver(rig.commit(3, 0, block, seal_by=0))  # forged seal, caught when the block is known
    out = rig.deliver(rig.proposal(0, block))
    assert RejectReason.FORGED_SEAL in reasons(out)
    assert commits_of(out) == []  # the forged one does not count: 2 valid commits only
    out = rig.deliver(rig.prepare(0, 0, block.hash))
    out += rig.deliver(rig.prepare(2, 0, block.hash))
    (decision,) = commits_of(out)  # our own commit makes the third
    assert rig.signer(3).address not in decision.signers


def test_forged_seal_is_rejected_as_a_fault(rig: Rig) -> None:
    block = rig.block(0)
    rig.deliver(rig.proposal(0, block))
    out = rig.deliver(rig.commit(2, 0, block, seal_by=3))
    (rejected,) = rejections(out)
    assert rejected.reason is RejectReason.FORGED_SEAL and rejected.fault
    assert rejected.sender == rig.signer(2).address


def test_proposal_from_the_wrong_proposer_is_rejected(rig: Rig) -> None:
    out = rig.deliver(rig.proposal(0, rig.block(2), by=2))
    assert reasons(out) == [RejectReason.WRONG_PROPOSER]
    assert broadcasts(out) == []


def test_message_from_a_non_validator_is_rejected() -> None:
    rig = Rig(n=5, me=1)
    rig.info = HeightInfo(1, tuple(s.address for s in rig.signers[:4]), None, 0.0)
    rig.start()
    out = rig.deliver(rig.prepare(4, 0, rig.block(0).hash))
    assert reasons(out) == [RejectReason.NOT_VALIDATOR]


def test_invalid_block_is_not_prepared_nor_validated_twice(rig: Rig) -> None:
    invalid = rig.proposal(0, rig.block(0, payload=INVALID_PAYLOAD))
    out = rig.deliver(invalid)
    assert reasons(out) == [RejectReason.INVALID_BLOCK]
    assert broadcasts(out) == []
    assert reasons(rig.deliver(invalid)) == [RejectReason.DUPLICATE]
    # A second block from the same proposer in the same round is equivocation, even after an invalid one.
    assert reasons(rig.deliver(rig.proposal(0, rig.block(0, b"other")))) == [RejectReason.EQUIVOCATION]


def test_block_claiming_another_proposer_or_height_is_rejected(rig: Rig) -> None:
    assert reasons(rig.deliver(rig.proposal(0, rig.block(2)))) == [RejectReason.INVALID_BLOCK]
    # A fresh block in a justified later round must also name its proposer.
    rcs = [rig.round_change(i, 2) for i in (0, 2, 3)]
    assert reasons(rig.deliver(rig.proposal(2, rig.block(0), round_changes=rcs))) == [
        RejectReason.INVALID_BLOCK
    ]
    assert reasons(rig.deliver(rig.proposal(0, rig.block(0, number=7)))) == [RejectReason.INVALID_BLOCK]


def test_second_proposal_in_a_round_is_equivocation_and_gets_no_prepare(rig: Rig) -> None:
    first, second = rig.block(0, b"a"), rig.block(0, b"b")
    assert len(broadcasts(rig.deliver(rig.proposal(0, first)), Prepare)) == 1
    out = rig.deliver(rig.proposal(0, second))
    assert reasons(out) == [RejectReason.EQUIVOCATION]
    assert broadcasts(out) == []
    assert reasons(rig.deliver(rig.proposal(0, first))) == [RejectReason.DUPLICATE]


def test_equivocating_prepare_and_commit_are_reported(rig: Rig) -> None:
    a, b = rig.block(0, b"a"), rig.block(0, b"b")
    rig.deliver(rig.prepare(2, 0, a.hash))
    (rejected,) = rejections(rig.deliver(rig.prepare(2, 0, b.hash)))
    assert rejected.reason is RejectReason.EQUIVOCATION and rejected.fault
    rig.deliver(rig.commit(3, 0, a))
    assert reasons(rig.deliver(rig.commit(3, 0, b))) == [RejectReason.EQUIVOCATION]


def test_malformed_and_oversized_bytes_are_rejected_without_raising(rig: Rig) -> None:
    out = rig.machine.on_message(b"\xc0", 0.0)
    assert reasons(out) == [RejectReason.MALFORMED] and rejections(out)[0].sender is None
    out = rig.machine.on_message(b"\x00" * (rig.config.max_message_bytes + 1), 0.0)
    assert reasons(out) == [RejectReason.OVERSIZE]


def test_round_timeout_broadcasts_a_round_change_and_doubles_the_timer(rig: Rig) -> None:
    assert broadcasts(rig.machine.on_tick(2.9)) == []
    out = rig.machine.on_tick(3.0)
    (rc,) = broadcasts(out, RoundChange)
    assert rc.round == 1 and rc.prepared_block is None
    assert persisted_before_broadcast(out)
    assert rig.machine.round == 1
    assert out[-1] == SetTimer(3.0 + 4.0)
    out = rig.machine.on_tick(7.0)
    assert broadcasts(out, RoundChange)[0].round == 2
    assert out[-1] == SetTimer(7.0 + 8.0)


def test_round_timeouts_are_capped() -> None:
    rig = Rig(me=1)
    rig.start()
    now = 3.0
    for _ in range(10):
        out = rig.machine.on_tick(now)
        (timer,) = [a for a in out if isinstance(a, SetTimer)]
        step = timer.deadline - now
        now = timer.deadline
    assert rig.machine.round == 10
    assert step == rig.config.max_round_timeout


def test_round_change_carries_the_prepared_certificate(rig: Rig) -> None:
    block = rig.block(0)
    rig.deliver(rig.proposal(0, block))
    rig.deliver(rig.prepare(0, 0, block.hash))
    rig.deliver(rig.prepare(2, 0, block.hash))
    (rc,) = broadcasts(rig.machine.on_tick(3.0), RoundChange)
    assert rc.signed.payload.prepared_round == 0
    assert rc.prepared_block == block
    assert {p.author for p in rc.prepares} == {rig.signer(i).address for i in (0, 1, 2)}


def test_f_plus_one_round_changes_jump_to_the_lowest_of_them(rig: Rig) -> None:
    assert broadcasts(rig.deliver(rig.round_change(2, 5))) == []  # one is not enough (f+1 = 2)
    out = rig.deliver(rig.round_change(3, 3))
    assert rig.machine.round == 3
    (rc,) = broadcasts(out, RoundChange)
    assert rc.round == 3 and rc.author == rig.me.address


def test_new_proposer_without_prepared_blocks_requests_a_fresh_block(rig: Rig) -> None:
    rig.machine.on_tick(3.0)  # we are now in round 1 and we propose it
    rig.deliver(rig.round_change(0, 1))
    out = rig.deliver(rig.round_change(2, 1))  # own + 2 = quorum
    assert requests(out) == [RequestBlock(1, 1)]
    block = rig.block(1, b"fresh")
    out = rig.machine.on_block_built(block, 3.5)
    proposal = broadcasts(out, Proposal)[0]
    assert proposal.round == 1 and proposal.block == block
    assert len(proposal.round_changes) == 3 and proposal.prepares == ()
    # The justification convinces another validator.
    other = Rig(me=2)
    other.start()
    other.machine.on_tick(3.0)
    assert broadcasts(other.deliver(proposal), Prepare)[0].digest == block.hash


def test_new_proposer_re_proposes_the_best_prepared_block(rig: Rig) -> None:
    old, older = rig.block(0, b"old"), rig.block(0, b"older")
    rig.machine.on_tick(3.0)
    rig.machine.on_tick(7.0)  # round 2, proposer index 2; switch to round 5 via RCs instead
    rig_round = rig.machine.round
    assert rig_round == 2
    # Round 5 is ours again (5 % 4 == 1). Round changes: one prepared in round 1, one in round 0.
    rcs = [
        rig.round_change(0, 5, rig.certificate(0, older, [0, 2, 3])),
        rig.round_change(2, 5, rig.certificate(1, old, [0, 2, 3])),
        rig.round_change(3, 5),
    ]
    out = []
    for rc in rcs:
        out += rig.deliver(rc)
    assert rig.machine.round == 5
    proposal = broadcasts(out, Proposal)[0]
    assert proposal.block == old  # the higher prepared round wins
    assert {p.round for p in proposal.prepares} == {1}
    assert requests(out) == []
    # Another validator accepts the re-proposal although the block names its original proposer.
    other = Rig(me=3)
    other.start()
    assert broadcasts(other.deliver(proposal), Prepare)[0].digest == old.hash


def test_justified_future_round_proposal_moves_the_round(rig: Rig) -> None:
    block = rig.block(rig.proposer_index(2), b"r2")
    rcs = [rig.round_change(i, 2) for i in (0, 2, 3)]
    out = rig.deliver(rig.proposal(2, block, round_changes=rcs))
    assert rig.machine.round == 2
    assert broadcasts(out, Prepare)[0].digest == block.hash


@pytest.mark.parametrize("case", ["no_round_changes", "too_few", "not_best", "prepares_short"])
def test_unjustified_proposals_are_rejected(rig: Rig, case: str) -> None:
    proposer = rig.proposer_index(2)
    fresh = rig.block(proposer, b"fresh")
    prepared = rig.block(0, b"prepared")
    cert = rig.certificate(1, prepared, [0, 2, 3])
    if case == "no_round_changes":
        proposal = rig.proposal(2, fresh)
    elif case == "too_few":
        proposal = rig.proposal(2, fresh, round_changes=[rig.round_change(i, 2) for i in (0, 3)])
    elif case == "not_best":
        rcs = [rig.round_change(0, 2, cert), rig.round_change(2, 2), rig.round_change(3, 2)]
        proposal = rig.proposal(2, fresh, round_changes=rcs)
    else:
        rcs = [rig.round_change(0, 2, cert), rig.round_change(2, 2), rig.round_change(3, 2)]
        prepares = [rig.prepare(i, 1, prepared.hash) for i in (0, 2)]
        proposal = rig.proposal(2, prepared, round_changes=rcs, prepares=prepares)
    out = rig.deliver(proposal)
    assert reasons(out) == [RejectReason.INVALID_JUSTIFICATION]
    assert broadcasts(out) == [] and rig.machine.round == 0


def test_round_change_with_a_bad_certificate_is_rejected(rig: Rig) -> None:
    block = rig.block(0)
    short = rig.certificate(0, block, [0, 2])  # 2 prepares, quorum is 3
    out = rig.deliver(rig.round_change(2, 1, short))
    (rejected,) = rejections(out)
    assert rejected.reason is RejectReason.INVALID_CERTIFICATE and rejected.fault


def test_lagging_round_change_is_answered_once_with_our_round_change(rig: Rig) -> None:
    rig.machine.on_tick(3.0)
    rig.machine.on_tick(7.0)  # round 2
    lagging = rig.round_change(2, 1)
    (answer,) = broadcasts(rig.deliver(lagging), RoundChange)
    assert answer.round == 2 and answer.author == rig.me.address
    assert broadcasts(rig.deliver(rig.round_change(2, 1))) == []


def test_future_height_messages_are_buffered_and_replayed(rig: Rig) -> None:
    block2 = rig.block(0, number=2)
    out = rig.deliver(rig.prepare(0, 0, block2.hash, height=2))
    assert rejections(out) == []
    far = rig.deliver(rig.prepare(0, 0, block2.hash, height=1 + rig.config.future_height_window + 1))
    assert reasons(far) == [RejectReason.FUTURE_HEIGHT_TOO_FAR]
    rig.machine.start_height(HeightInfo(2, rig.info.validators, rig.signer(0).address, 1.0), 2.0)
    # The buffered prepare counts: its author now has a prepare at height 2, a second one is a duplicate.
    assert reasons(rig.deliver(rig.prepare(0, 0, block2.hash, height=2))) == [RejectReason.DUPLICATE]


def test_future_height_buffer_is_bounded_per_sender() -> None:
    rig = Rig(me=1, config=QbftConfig(block_period=1.0, request_timeout=2.0, max_buffered_per_sender=2))
    rig.start()
    digest = rig.block(0).hash
    assert rejections(rig.deliver(rig.prepare(0, 0, digest, height=2))) == []
    assert rejections(rig.deliver(rig.prepare(0, 1, digest, height=2))) == []
    assert reasons(rig.deliver(rig.prepare(0, 2, digest, height=2))) == [RejectReason.BUFFER_FULL]


def test_stale_height_is_rejected_without_blame(rig: Rig) -> None:
    rig.machine.start_height(HeightInfo(2, rig.info.validators, rig.signer(0).address, 1.0), 2.0)
    (rejected,) = rejections(rig.deliver(rig.prepare(0, 0, rig.block(0).hash, height=1)))
    assert rejected.reason is RejectReason.STALE_HEIGHT and not rejected.fault


def test_heights_only_move_forward(rig: Rig) -> None:
    assert rig.machine.start_height(rig.info, 1.0) == []
    rig.machine.start_height(HeightInfo(3, rig.info.validators, None, 0.0), 1.0)
    with pytest.raises(ProtocolMisuse):
        rig.machine.start_height(HeightInfo(2, rig.info.validators, None, 0.0), 1.0)


def test_imported_block_restarts_the_round_timer_at_the_next_height(rig: Rig) -> None:
    rig.machine.on_tick(3.0)
    rig.machine.on_tick(7.0)
    out = rig.machine.on_block_imported(HeightInfo(2, rig.info.validators, rig.signer(0).address, 8.0), 20.0)
    assert rig.machine.height == 2 and rig.machine.round == 0
    assert SetTimer(20.0 + 2.0) in out
    assert rig.machine.on_block_imported(HeightInfo(2, rig.info.validators, None, 8.0), 21.0) == []


def test_observer_follows_but_never_sends() -> None:
    rig = Rig(n=5, me=4)
    rig.info = HeightInfo(1, tuple(s.address for s in rig.signers[:4]), None, 0.0)
    rig.start()
    block = rig.block(0)
    out = rig.deliver(rig.proposal(0, block))
    out += rig.machine.on_tick(100.0)
    assert broadcasts(out) == [] and not [a for a in out if isinstance(a, PersistState)]
    for i in range(3):
        out = rig.deliver(rig.commit(i, 0, block))
    assert [c.block for c in commits_of(out)] == [block]


def test_on_block_built_for_a_stale_request_is_ignored(rig: Rig) -> None:
    assert rig.machine.on_block_built(rig.block(1), 1.0) == []
    assert isinstance(rig.machine.on_tick(3.0)[-1], SetTimer)
    assert [a for a in rig.machine.on_block_built(rig.block(1), 3.1) if not isinstance(a, SetTimer)] == []


def test_commit_decision_carries_only_matching_commits(rig: Rig) -> None:
    block, other = rig.block(0, b"a"), rig.block(0, b"b")
    rig.deliver(rig.proposal(0, block))
    rig.deliver(rig.commit(2, 0, other))
    rig.deliver(rig.commit(3, 0, other))
    out = rig.deliver(rig.commit(0, 0, block))
    assert commits_of(out) == []
    assert not any(isinstance(a, CommitBlock) for a in out)


def test_votes_too_far_in_the_future_are_not_buffered(rig: Rig) -> None:
    far = rig.config.future_round_window + 1
    assert reasons(rig.deliver(rig.prepare(0, far, rig.block(0).hash))) == [RejectReason.FUTURE_ROUND_TOO_FAR]
    # Round changes are not limited that way (bounded per validator instead), so laggards catch up.
    rig.deliver(rig.round_change(2, far + 50))
    rig.deliver(rig.round_change(3, far + 60))
    assert rig.machine.round == far + 50
