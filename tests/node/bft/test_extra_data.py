from __future__ import annotations

import pytest
import rlp
from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey
from eth_typing import Address, BlockNumber

from node.bft.extra_data import (
    BFT_MIX_HASH,
    BftExtraData,
    InvalidExtraData,
    InvalidSeal,
    Vote,
    block_hash,
    commit_seal_hash,
    decode_extra_data,
    genesis_extra_data,
    quorum,
    sign_commit_seal,
    verify_commit_seals,
    with_commit_seals,
)
from node.bft.header import BftBlockHeader

# Genesis extraData of the QBFT example in Besu's documentation ("Configure QBFT consensus"):
# 4 validators, no vote (0xc0), round 0 (0x80), no seals (0xc0).
BESU_DOC_EXTRA = bytes.fromhex(
    "f87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a966"
    "38cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f63"
    "70c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0"
)
BESU_DOC_VALIDATORS = (
    "64a702e6263b7297a96638cac6ae65e6541f4169",
    "3923390ad55e90c237593b3b0e401f3b08a03185",
    "aefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "c7eeb9a4e00ce683cf93039b212648e01c6c6b78",
)

KEYS = [PrivateKey(bytes([i]) * 32) for i in range(1, 6)]
ADDRESSES = tuple(Address(k.public_key.to_canonical_address()) for k in KEYS)


def test_besu_documentation_vector_decodes_and_reencodes_byte_for_byte():
    extra = decode_extra_data(BESU_DOC_EXTRA)
    assert extra.vanity == b"\0" * 32
    assert [v.hex() for v in extra.validators] == list(BESU_DOC_VALIDATORS)
    assert extra.vote is None
    assert extra.round == 0
    assert extra.seals == ()
    assert extra.encode() == BESU_DOC_EXTRA
    assert genesis_extra_data(extra.validators) == BESU_DOC_EXTRA


@pytest.mark.parametrize("vote", [None, Vote(ADDRESSES[0], True), Vote(ADDRESSES[1], False)])
@pytest.mark.parametrize("round_number", [0, 1, 300])
def test_roundtrip(vote, round_number):
    extra = BftExtraData(b"\x07" * 32, ADDRESSES[:3], vote, round_number, (b"\x01" * 65,))
    assert decode_extra_data(extra.encode()) == extra


def test_a_single_zero_byte_also_reads_as_drop():
    legacy = rlp.encode([b"\0" * 32, [], [ADDRESSES[0], b"\x00"], 0, []])
    vote = decode_extra_data(legacy).vote
    assert vote is not None
    assert not vote.add


def test_vote_bytes_and_round_encoding_follow_besu():
    add = BftExtraData(b"\0" * 32, (), Vote(ADDRESSES[0], True), 0, ()).encode()
    drop = BftExtraData(b"\0" * 32, (), Vote(ADDRESSES[0], False), 1, ()).encode()
    assert bytes.fromhex("d794" + ADDRESSES[0].hex() + "81ff") in add
    assert add.endswith(b"\x80\xc0")  # round 0 is the empty string
    assert bytes.fromhex("d694" + ADDRESSES[0].hex() + "80") in drop  # Besu writes an RLP null for drop
    assert drop.endswith(b"\x01\xc0")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x01\x02",
        bytes.fromhex("c0"),
        BftExtraData(b"\0" * 32, (), None, 0, ()).encode()[:-1],
    ],
)
def test_malformed_extra_data_is_rejected(raw):
    with pytest.raises(InvalidExtraData):
        decode_extra_data(raw)


def test_bad_fields_are_rejected():
    with pytest.raises(InvalidExtraData):
        BftExtraData(b"\0" * 31, (), None, 0, ())
    with pytest.raises(InvalidExtraData):
        BftExtraData(b"\0" * 32, (Address(b"\x01" * 19),), None, 0, ())
    with pytest.raises(InvalidExtraData):
        BftExtraData(b"\0" * 32, (), None, 0, (b"\x01" * 64,))


def _header(round_number=0, seals=()):
    extra = BftExtraData(b"\0" * 32, ADDRESSES, None, round_number, seals).encode()
    return BftBlockHeader(
        difficulty=1,
        block_number=BlockNumber(5),
        gas_limit=30_000_000,
        timestamp=10,
        extra_data=extra,
        mix_hash=BFT_MIX_HASH,
    )


def test_block_hash_ignores_seals_and_round_but_seal_hash_keeps_round():
    plain = _header()
    sealed = with_commit_seals(_header(round_number=3), (sign_commit_seal(KEYS[0], _header(round_number=3)),))
    assert block_hash(plain) == block_hash(sealed) == plain.hash == sealed.hash
    assert commit_seal_hash(_header(round_number=3)) == commit_seal_hash(sealed)
    assert commit_seal_hash(plain) != commit_seal_hash(sealed)
    # the hash differs from py-evm's plain keccak of the sealed header
    assert sealed.hash != keccak(rlp.encode(sealed))


@pytest.mark.parametrize(("n", "q"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (10, 7)])
def test_quorum(n, q):
    assert quorum(n) == q


def test_seal_verification_paths():
    header = _header(round_number=1)
    seals = tuple(sign_commit_seal(k, header) for k in KEYS[:4])
    assert verify_commit_seals(with_commit_seals(header, seals), ADDRESSES) == ADDRESSES[:4]
    with pytest.raises(InvalidSeal, match="quorum"):
        verify_commit_seals(with_commit_seals(header, seals[:3]), ADDRESSES)
    with pytest.raises(InvalidSeal, match="duplicate"):
        verify_commit_seals(with_commit_seals(header, (*seals[:3], seals[0])), ADDRESSES)
    outsider = sign_commit_seal(PrivateKey(b"\x42" * 32), header)
    with pytest.raises(InvalidSeal, match="not a validator"):
        verify_commit_seals(with_commit_seals(header, (*seals, outsider)), ADDRESSES)
    # a seal from another round does not verify as that validator
    other_round = sign_commit_seal(KEYS[4], _header(round_number=2))
    with pytest.raises(InvalidSeal):
        verify_commit_seals(with_commit_seals(header, (*seals[:3], other_round)), ADDRESSES[:4])
    with pytest.raises(InvalidSeal):
        verify_commit_seals(with_commit_seals(header, (b"\xff" * 65,)), ADDRESSES[:1])
