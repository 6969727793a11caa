"""The extraData of BFT headers (QBFT and IBFT 2.0 as Hyperledger Besu writes them), and seals.

``extraData = RLP([vanity, [validators], vote, round, [commit seals]])``. The two engines differ in
two items: QBFT writes "no vote" as an empty list and the round as an RLP integer (round 0 is
``0x80``); IBFT 2.0 writes "no vote" as RLP null and the round as 4 fixed bytes. They also hash
differently:

* QBFT: block hash over ``[vanity, validators, vote, 0, []]``; a commit seal signs
  ``[vanity, validators, vote, round, []]``.
* IBFT 2.0: block hash over ``[vanity, validators, vote]``; a commit seal signs
  ``[vanity, validators, vote, round]``.

Items are re-encoded exactly as decoded (the vote item verbatim) so the bytes that were signed are
the bytes we hash.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import rlp
from eth_keys.datatypes import Signature
from eth_keys.exceptions import BadSignature
from eth_utils.exceptions import ValidationError as EthKeysValidationError

from platform_checks.block_header import BlockHeader
from platform_checks.nesting_limits import rlp_depth_exceeds
from platform_checks.wire_values import MalformedValue

BFT_MIX_HASH = bytes.fromhex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365")
VANITY_LENGTH = 32
SEAL_LENGTH = 65
IBFT2_ROUND_LENGTH = 4
VOTE_ADD = b"\xff"
VOTE_DROP_VALUES = (b"\x00", b"")


class BftLayout(enum.StrEnum):
    QBFT = "qbft"
    IBFT2 = "ibft2"


@dataclass(frozen=True, slots=True)
class BftExtraData:
    """Decoded BFT extraData; ``vote_item`` and ``round_item`` are kept as RLP items for re-encoding."""

    layout: BftLayout
    vanity: bytes
    validators: tuple[str, ...]
    vote: tuple[str, bool] | None
    round: int
    seals: tuple[bytes, ...]
    vote_item: Any
    round_item: bytes

    def _validator_items(self) -> list[bytes]:
        return [bytes.fromhex(v[2:]) for v in self.validators]

    def encode_full(self) -> bytes:
        items: list[Any] = [self.vanity, self._validator_items(), self.vote_item, self.round_item]
        items.append(list(self.seals))
        return bytes(rlp.encode(items))

    def encode_for_commit_seal(self) -> bytes:
        """What a commit seal signs (inside the header): seals out, round kept."""
        base: list[Any] = [self.vanity, self._validator_items(), self.vote_item, self.round_item]
        if self.layout is BftLayout.QBFT:
            base.append([])
        return bytes(rlp.encode(base))

    def encode_for_block_hash(self) -> bytes:
        """What the block hash covers: seals out and the round zeroed (QBFT) or dropped (IBFT 2.0)."""
        base: list[Any] = [self.vanity, self._validator_items(), self.vote_item]
        if self.layout is BftLayout.QBFT:
            base.extend([b"", []])
        return bytes(rlp.encode(base))


def _decode_vote(item: Any, layout: BftLayout) -> tuple[str, bool] | None:
    if layout is BftLayout.QBFT and item == []:
        return None
    if layout is BftLayout.IBFT2 and item == b"":
        return None
    if not isinstance(item, list) or len(item) != 2:
        raise MalformedValue(f"{layout.value}: vote item has the wrong shape")
    target, kind = item
    if not isinstance(target, bytes) or len(target) != 20 or not isinstance(kind, bytes):
        raise MalformedValue(f"{layout.value}: vote item has the wrong shape")
    if kind == VOTE_ADD:
        return "0x" + target.hex(), True
    if kind in VOTE_DROP_VALUES:
        return "0x" + target.hex(), False
    raise MalformedValue(f"{layout.value}: vote type byte is neither add nor drop")


def _decode_round(item: Any, layout: BftLayout) -> int:
    if not isinstance(item, bytes):
        raise MalformedValue(f"{layout.value}: round is not a byte string")
    if layout is BftLayout.IBFT2:
        if len(item) != IBFT2_ROUND_LENGTH:
            raise MalformedValue("ibft2: round must be 4 fixed bytes")
    elif len(item) > IBFT2_ROUND_LENGTH or item[:1] == b"\x00":
        raise MalformedValue("qbft: round must be a minimal RLP integer")
    return int.from_bytes(item, "big")


def decode_bft_extra_data(raw: bytes, layout: BftLayout) -> BftExtraData:
    """Decode ``raw`` under one layout; raise :class:`MalformedValue` when it does not fit it."""
    if rlp_depth_exceeds(raw):
        raise MalformedValue(f"{layout.value}: extraData nests deeper than any BFT layout")
    try:
        items = rlp.decode(raw, strict=True)
    except (rlp.DecodingError, RecursionError) as exc:
        raise MalformedValue(f"{layout.value}: extraData is not RLP") from exc
    if not isinstance(items, list) or len(items) != 5:
        raise MalformedValue(f"{layout.value}: extraData is not a 5-item RLP list")
    vanity, validators, vote_item, round_item, seals = items
    if not isinstance(vanity, bytes) or len(vanity) > VANITY_LENGTH:
        raise MalformedValue(f"{layout.value}: vanity is not at most {VANITY_LENGTH} bytes")
    if not isinstance(validators, list) or any(not isinstance(v, bytes) or len(v) != 20 for v in validators):
        raise MalformedValue(f"{layout.value}: validators are not a list of 20-byte addresses")
    if not isinstance(seals, list) or any(not isinstance(s, bytes) or len(s) != SEAL_LENGTH for s in seals):
        raise MalformedValue(f"{layout.value}: seals are not a list of 65-byte signatures")
    return BftExtraData(
        layout=layout,
        vanity=vanity,
        validators=tuple("0x" + v.hex() for v in validators),
        vote=_decode_vote(vote_item, layout),
        round=_decode_round(round_item, layout),
        seals=tuple(seals),
        vote_item=vote_item,
        round_item=round_item,
    )


def recover_signer(message_hash: bytes, seal: bytes) -> str:
    """The address whose key made ``seal`` (r‖s‖v, v in {0,1} or {27,28}) over ``message_hash``."""
    if len(seal) != SEAL_LENGTH:
        raise MalformedValue("a seal must be 65 bytes")
    v = seal[64]
    if v >= 27:
        v -= 27
    try:
        signature = Signature(vrs=(v, int.from_bytes(seal[:32], "big"), int.from_bytes(seal[32:64], "big")))
        public_key = signature.recover_public_key_from_msg_hash(message_hash)
    except (BadSignature, EthKeysValidationError, ValueError) as exc:
        raise MalformedValue(f"seal does not recover to a key: {exc}") from exc
    return public_key.to_checksum_address().lower()


def bft_quorum(validator_count: int) -> int:
    """ceil(2n/3): commit seals a block needs (Besu's BftHelpers; n=4→3, 5→4, 7→5)."""
    return -(-2 * validator_count // 3)


def bft_fault_tolerance(validator_count: int) -> int:
    """f = (n-1)//3 Byzantine validators tolerated."""
    return max(validator_count - 1, 0) // 3


def commit_seal_signers(header: BlockHeader, extra: BftExtraData) -> list[str]:
    """Recover each commit seal's signer; an unrecoverable seal is reported as ``invalid``."""
    digest = header.hash_with_extra_data(extra.encode_for_commit_seal())
    signers: list[str] = []
    for seal in extra.seals:
        try:
            signers.append(recover_signer(digest, seal))
        except MalformedValue:
            signers.append("invalid")
    return signers
