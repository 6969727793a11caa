import contextlib

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from node.consensus.exceptions import MalformedMessage
from node.consensus.qbft.messages import (
    MAX_JUSTIFICATION_ITEMS,
    Commit,
    MessageType,
    Prepare,
    Proposal,
    RoundChange,
    decode_message,
    signing_hash,
)
from node.consensus.qbft.ports import recover_address
from tests.node.consensus.qbft.rig import Rig


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_prepare_round_trips_and_recovers_its_author(rig: Rig) -> None:
    block = rig.block(0)
    prepare = rig.prepare(2, 3, block.hash)
    decoded = decode_message(prepare.encode(), rig.port)
    assert isinstance(decoded, Prepare)
    assert (decoded.height, decoded.round, decoded.digest) == (1, 3, block.hash)
    assert decoded.author == rig.signer(2).address


def test_commit_round_trips_with_a_seal_of_the_author(rig: Rig) -> None:
    block = rig.block(0)
    decoded = decode_message(rig.commit(1, 0, block).encode(), rig.port)
    assert isinstance(decoded, Commit)
    assert decoded.author == rig.signer(1).address
    assert recover_address(rig.port.seal_hash(block, 0), decoded.seal) == decoded.author


def test_round_change_round_trips_with_and_without_certificate(rig: Rig) -> None:
    plain = decode_message(rig.round_change(3, 2).encode(), rig.port)
    assert isinstance(plain, RoundChange)
    assert plain.prepared_block is None and plain.prepares == ()
    assert plain.signed.payload.prepared_round is None

    block = rig.block(0)
    cert = rig.certificate(0, block, [0, 1, 2])
    decoded = decode_message(rig.round_change(3, 2, cert).encode(), rig.port)
    assert isinstance(decoded, RoundChange)
    assert decoded.prepared_block == block
    assert decoded.signed.payload.prepared_round == 0
    assert decoded.signed.payload.prepared_digest == block.hash
    assert [p.author for p in decoded.prepares] == [rig.signer(i).address for i in (0, 1, 2)]


def test_proposal_round_trips_with_justification(rig: Rig) -> None:
    block = rig.block(rig.proposer_index(1))
    rcs = [rig.round_change(i, 1) for i in range(3)]
    proposal = rig.proposal(1, block, round_changes=rcs)
    decoded = decode_message(proposal.encode(), rig.port)
    assert isinstance(decoded, Proposal)
    assert decoded.block == block
    assert decoded.author == rig.signer(rig.proposer_index(1)).address
    assert [rc.author for rc in decoded.round_changes] == [rig.signer(i).address for i in range(3)]


def test_signature_covers_the_message_type(rig: Rig) -> None:
    block = rig.block(0)
    payload = rig.prepare(0, 0, block.hash).signed.payload
    fields = rlp.encode(payload.fields())
    assert signing_hash(payload) == keccak(bytes([MessageType.PREPARE]) + fields)
    assert signing_hash(payload) != keccak(bytes([MessageType.COMMIT]) + fields)


def test_tampered_payload_no_longer_recovers_the_author(rig: Rig) -> None:
    block = rig.block(0)
    prepare = rig.prepare(0, 0, block.hash)
    body = rlp.decode(prepare.encode())[1]
    body[0][1] = b"\x07"  # change the round under the same signature
    try:
        decoded = decode_message(rlp.encode([MessageType.PREPARE, body]), rig.port)
    except MalformedMessage:
        return
    assert decoded.author != rig.signer(0).address


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\x00",
        rlp.encode(b"not a list"),
        rlp.encode([0x99, []]),
        rlp.encode([MessageType.PREPARE, [[1, 0], b"\x00" * 65]]),
        rlp.encode([MessageType.PREPARE, [[1, 0, b"\x11" * 31], b"\x00" * 65]]),
        rlp.encode([MessageType.PREPARE, [[b"\x00\x01", 0, b"\x11" * 32], b"\x00" * 65]]),
        rlp.encode([MessageType.PREPARE, [[1, 0, b"\x11" * 32], b"\x00" * 64]]),
        rlp.encode([MessageType.PREPARE, [[b"\x01" * 9, 0, b"\x11" * 32], b"\x01" * 65]]),
        rlp.encode([MessageType.ROUND_CHANGE, [[[1, 1, [b"\x11" * 32]], b"\x01" * 65], b"", []]]),
        rlp.encode([MessageType.PROPOSAL, [[[1, 0, b"garbage"], b"\x01" * 65], [], []]]),
    ],
)
def test_malformed_input_raises_only_malformed_message(rig: Rig, data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        decode_message(data, rig.port)


def test_oversized_justification_lists_are_refused(rig: Rig) -> None:
    block = rig.block(0)
    prepare = rlp.decode(rig.prepare(0, 0, block.hash).encode())[1]
    rc = rlp.decode(rig.round_change(0, 1).encode())[1]
    data = rlp.encode([MessageType.ROUND_CHANGE, [rc[0], b"", [prepare] * (MAX_JUSTIFICATION_ITEMS + 1)]])
    with pytest.raises(MalformedMessage, match="exceed"):
        decode_message(data, rig.port)


def test_signing_hash_differs_per_type_for_equal_fields(rig: Rig) -> None:
    block = rig.block(0)
    prepare = rig.prepare(0, 0, block.hash)
    commit = rig.commit(0, 0, block)
    assert signing_hash(prepare.signed.payload) != signing_hash(commit.signed.payload)


@settings(max_examples=200, deadline=None)
@given(digest=st.binary(min_size=32, max_size=32), signature=st.binary(min_size=60, max_size=70))
def test_signature_recovery_fails_only_with_malformed_message(digest: bytes, signature: bytes) -> None:
    # Whichever eth-keys backend is installed (pure Python or coincurve), junk never raises anything else.
    with contextlib.suppress(MalformedMessage):
        recover_address(digest, signature)


def _valid_messages() -> list[bytes]:
    rig = Rig()
    block = rig.block(0)
    cert = rig.certificate(0, block, [0, 1, 2])
    rcs = [rig.round_change(i, 1, cert if i == 0 else None) for i in range(3)]
    return [
        rig.proposal(
            1, rig.block(1), round_changes=rcs, prepares=[rig.prepare(i, 0, block.hash) for i in range(3)]
        ).encode(),
        rcs[0].encode(),
        rig.commit(2, 0, block).encode(),
    ]


VALID = _valid_messages()


@settings(max_examples=300, deadline=None)
@given(
    which=st.integers(0, len(VALID) - 1),
    position=st.integers(0, 10_000),
    value=st.integers(0, 255),
    cut=st.booleans(),
)
def test_damaged_messages_fail_only_with_malformed_message(
    which: int, position: int, value: int, cut: bool
) -> None:
    data = bytearray(VALID[which])
    position %= len(data)
    if cut:
        del data[position:]
    else:
        data[position] = value
    with contextlib.suppress(MalformedMessage):
        decode_message(bytes(data), Rig().port)
