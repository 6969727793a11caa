"""A restarted validator resumes from its snapshot and never votes twice in one round."""

import pytest

from node.consensus.exceptions import InvalidSnapshot
from node.consensus.qbft.actions import PersistState, RejectReason, RequestBlock
from node.consensus.qbft.messages import Prepare, Proposal, RoundChange
from node.consensus.qbft.snapshot import Snapshot
from tests.node.consensus.qbft.rig import Rig, broadcasts, rejections, requests


def last_snapshot(actions) -> Snapshot:
    return [a.snapshot for a in actions if isinstance(a, PersistState)][-1]


def test_snapshot_round_trips_with_certificate() -> None:
    rig = Rig(me=1)
    rig.start()
    block = rig.block(0)
    out = rig.deliver(rig.proposal(0, block))
    out += rig.deliver(rig.prepare(0, 0, block.hash))
    out += rig.deliver(rig.prepare(2, 0, block.hash))
    snap = last_snapshot(out)
    decoded = Snapshot.decode(snap.encode(), rig.port)
    assert decoded == snap
    assert decoded.prepared is not None and decoded.prepared.block == block
    assert decoded.prepare_vote == decoded.commit_vote == (0, block.hash)


@pytest.mark.parametrize(
    "data", [b"", b"\xc0", b"\xc6\x02\x01\x00\xc0\xc0\xc0", b"\xc6\x01\x01\x00\xc1\x01\xc0\xc0"]
)
def test_corrupt_snapshot_raises_invalid_snapshot(data: bytes) -> None:
    with pytest.raises(InvalidSnapshot):
        Snapshot.decode(data, Rig().port)


def test_restarted_validator_refuses_a_conflicting_proposal_in_the_round_it_voted() -> None:
    rig = Rig(me=1)
    rig.start()
    a, b = rig.block(0, b"a"), rig.block(0, b"b")
    snap = last_snapshot(rig.deliver(rig.proposal(0, a)))
    # Crash; come back from the persisted bytes. A Byzantine proposer now shows block b.
    restarted = Rig(me=1, restored=Snapshot.decode(snap.encode(), rig.port))
    restarted.start(now=1.5)
    out = restarted.deliver(restarted.proposal(0, b))
    assert broadcasts(out, Prepare) == []
    assert [r.reason for r in rejections(out)] == [RejectReason.EQUIVOCATION]
    # The block it voted for is still fine to prepare again (same vote, no equivocation).
    again = broadcasts(restarted.deliver(restarted.proposal(0, a)), Prepare)
    assert [p.digest for p in again] == [a.hash]


def test_restarted_validator_resumes_its_round_and_repeats_its_round_change() -> None:
    rig = Rig(me=1)
    rig.start()
    block = rig.block(0)
    rig.deliver(rig.proposal(0, block))
    rig.deliver(rig.prepare(0, 0, block.hash))
    rig.deliver(rig.prepare(2, 0, block.hash))
    snap = last_snapshot(rig.machine.on_tick(3.0))
    assert snap.round == 1
    restarted = Rig(me=1, restored=Snapshot.decode(snap.encode(), rig.port))
    out = restarted.start(now=50.0)
    assert restarted.machine.round == 1
    (rc,) = broadcasts(out, RoundChange)
    assert rc.round == 1 and rc.prepared_block == block  # the certificate survived the crash


def test_restarted_proposer_does_not_build_a_second_block_for_its_round() -> None:
    rig = Rig(me=0)
    rig.start()
    rig.machine.on_tick(1.0)
    out = rig.machine.on_block_built(rig.block(0, b"first"), 1.0)
    assert broadcasts(out, Proposal)
    restarted = Rig(me=0, restored=Snapshot.decode(last_snapshot(out).encode(), rig.port))
    out = restarted.start(now=1.2)
    out += restarted.machine.on_tick(5.0 - 0.1)
    assert [a for a in requests(out) if a == RequestBlock(1, 0)] == []


def test_snapshot_of_an_older_height_is_ignored() -> None:
    rig = Rig(me=1)
    old = Snapshot(height=0, round=7, prepare_vote=None, commit_vote=None, prepared=None)
    restarted = Rig(me=1, restored=old)
    restarted.start()
    assert restarted.machine.round == 0
    assert rig.machine.round == 0
