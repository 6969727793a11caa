"""QBFT and IBFT 2.0 extraData decoding, hashing rules and commit-seal recovery on self-sealed headers."""

from __future__ import annotations

import pytest
import rlp

from platform_checks.block_header import header_from_json
from platform_checks.engines.bft_extra_data import (
    BftLayout,
    bft_fault_tolerance,
    bft_quorum,
    commit_seal_signers,
    decode_bft_extra_data,
    recover_signer,
)
from platform_checks.wire_values import MalformedValue
from tests.platform_checks.chains import Chain, addr, make_keys, seal


@pytest.mark.parametrize(("engine", "layout"), [("qbft", BftLayout.QBFT), ("ibft2", BftLayout.IBFT2)])
def test_decode_hash_rule_and_seals(engine: str, layout: BftLayout) -> None:
    keys = make_keys(5)
    chain = Chain(engine, keys)
    chain.mine(1, sealers=keys[1:5], round_=2)
    header = header_from_json(chain.blocks[1])
    extra = decode_bft_extra_data(header.extra_data, layout)
    assert extra.validators == tuple("0x" + addr(k).hex() for k in keys)
    assert extra.round == 2
    assert extra.vote is None
    assert len(extra.seals) == 4
    assert extra.encode_full() == header.extra_data
    assert header.hash_with_extra_data(extra.encode_for_block_hash()) == header.reported_hash
    assert commit_seal_signers(header, extra) == ["0x" + addr(k).hex() for k in keys[1:5]]


def test_layouts_do_not_decode_as_each_other() -> None:
    keys = make_keys(4)
    qbft = header_from_json(Chain("qbft", keys).blocks[0])
    ibft = header_from_json(Chain("ibft2", keys).blocks[0])
    with pytest.raises(MalformedValue):
        decode_bft_extra_data(qbft.extra_data, BftLayout.IBFT2)
    with pytest.raises(MalformedValue):
        decode_bft_extra_data(ibft.extra_data, BftLayout.QBFT)


def test_qbft_block_hash_ignores_round_and_seals() -> None:
    keys = make_keys(4)
    a = Chain("qbft", keys)
    b = Chain("qbft", keys)
    a.mine(1, sealers=keys[:3], round_=0)
    b.mine(1, sealers=[keys[0], keys[2], keys[3]], round_=5)
    assert a.blocks[1]["hash"] == b.blocks[1]["hash"]
    assert a.blocks[1]["extraData"] != b.blocks[1]["extraData"]


@pytest.mark.parametrize(("kind_byte", "expected"), [(b"\xff", True), (b"", False), (b"\x00", False)])
def test_qbft_votes(kind_byte: bytes, expected: bool) -> None:
    target = bytes(range(20))
    raw = rlp.encode([bytes(32), [bytes(20)], [target, kind_byte], 3, []])
    extra = decode_bft_extra_data(raw, BftLayout.QBFT)
    assert extra.vote == ("0x" + target.hex(), expected)
    assert extra.round == 3


@pytest.mark.parametrize(
    "raw",
    [
        b"\x01\x02",
        rlp.encode([bytes(32), [], [], 0]),
        rlp.encode([bytes(33), [], [], 0, []]),
        rlp.encode([bytes(32), [b"short"], [], 0, []]),
        rlp.encode([bytes(32), [], [], 0, [b"not a 65-byte seal"]]),
        rlp.encode([bytes(32), [], [bytes(20), b"\x07"], 0, []]),
        rlp.encode([bytes(32), [], [], b"\x00\x01", []]),
    ],
)
def test_malformed_qbft_extra_data_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedValue):
        decode_bft_extra_data(raw, BftLayout.QBFT)


def test_recover_signer_accepts_both_v_conventions_and_rejects_garbage() -> None:
    key = make_keys(1)[0]
    digest = bytes(range(32))
    good = seal(key, digest)
    expected = "0x" + addr(key).hex()
    assert recover_signer(digest, good) == expected
    assert recover_signer(digest, good[:64] + bytes([good[64] + 27])) == expected
    with pytest.raises(MalformedValue):
        recover_signer(digest, good[:64] + b"\x05")
    with pytest.raises(MalformedValue):
        recover_signer(digest, good[:10])


def test_tampered_seal_does_not_recover_the_validator() -> None:
    keys = make_keys(4)
    chain = Chain("qbft", keys)
    chain.mine(1, sealers=keys[:3])
    header = header_from_json(chain.blocks[1])
    extra = decode_bft_extra_data(header.extra_data, BftLayout.QBFT)
    broken = bytearray(extra.seals[0])
    broken[5] ^= 0x01
    digest = header.hash_with_extra_data(extra.encode_for_commit_seal())
    try:
        signer = recover_signer(digest, bytes(broken))
    except MalformedValue:
        signer = "invalid"
    assert signer != "0x" + addr(keys[0]).hex()


@pytest.mark.parametrize(
    ("n", "quorum", "f"), [(1, 1, 0), (3, 2, 0), (4, 3, 1), (5, 4, 1), (6, 4, 1), (7, 5, 2), (10, 7, 3)]
)
def test_quorum_and_fault_tolerance(n: int, quorum: int, f: int) -> None:
    assert bft_quorum(n) == quorum
    assert bft_fault_tolerance(n) == f
