"""The four QBFT messages, their RLP wire form and their signatures.

Shapes follow Besu's QBFT: every message wraps a signed payload ``[fields, signature]`` and the signature
covers ``keccak(message_type || rlp(fields))`` so a PREPARE can never be replayed as a COMMIT. A PROPOSAL
carries its block and, for rounds above 0, its justification: the signed ROUND-CHANGE payloads of a
quorum and the PREPAREs of the best prepared block among them. A ROUND-CHANGE carries the sender's
prepared certificate (block plus quorum of PREPAREs) so the next proposer can re-propose it.

Decoding is strict (canonical integers, exact lengths, bounded lists) and recovers each author from the
signature; anything off raises :class:`MalformedMessage`, never another exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Generic, TypeVar, cast

import rlp
from eth_typing import Address, Hash32
from rlp.exceptions import DecodingError

from node.consensus.exceptions import MalformedMessage
from node.consensus.qbft.ports import (
    BlockPort,
    ConsensusBlock,
    Signer,
    keccak256,
    recover_address,
)
from node.exceptions import NodeError

MAX_JUSTIFICATION_ITEMS = 1024
"""No validator set is this large; a longer list in a message is an attack, not a certificate."""
_MAX_INT_BYTES = 8

RlpItem = bytes | list["RlpItem"]


class MessageType(IntEnum):
    """Message codes of Besu's QBFT sub-protocol; also the domain separator of each signature."""

    PROPOSAL = 0x12
    PREPARE = 0x13
    COMMIT = 0x14
    ROUND_CHANGE = 0x15


@dataclass(frozen=True, slots=True)
class PreparePayload:
    height: int
    round: int
    digest: Hash32

    message_type = MessageType.PREPARE

    def fields(self) -> list[object]:
        return [self.height, self.round, self.digest]


@dataclass(frozen=True, slots=True)
class CommitPayload:
    height: int
    round: int
    digest: Hash32
    seal: bytes
    """The commit seal: the author's signature of the block's seal hash for this round."""

    message_type = MessageType.COMMIT

    def fields(self) -> list[object]:
        return [self.height, self.round, self.digest, self.seal]


@dataclass(frozen=True, slots=True)
class RoundChangePayload:
    height: int
    round: int
    prepared_round: int | None
    prepared_digest: Hash32 | None

    message_type = MessageType.ROUND_CHANGE

    def fields(self) -> list[object]:
        if self.prepared_round is None or self.prepared_digest is None:
            return [self.height, self.round, []]
        return [self.height, self.round, [self.prepared_digest, self.prepared_round]]


@dataclass(frozen=True, slots=True)
class ProposalPayload:
    height: int
    round: int
    block: ConsensusBlock
    block_bytes: bytes

    message_type = MessageType.PROPOSAL

    def fields(self) -> list[object]:
        return [self.height, self.round, self.block_bytes]


P = TypeVar(
    "P",
    PreparePayload,
    CommitPayload,
    RoundChangePayload,
    ProposalPayload,
)


def signing_hash(payload: PreparePayload | CommitPayload | RoundChangePayload | ProposalPayload) -> Hash32:
    """Return the digest an author signs: ``keccak(type || rlp(fields))``."""
    return keccak256(bytes([payload.message_type]) + rlp.encode(payload.fields()))


@dataclass(frozen=True, slots=True)
class Signed(Generic[P]):
    """A payload with its signature and the author recovered from (or used to make) it."""

    payload: P
    signature: bytes
    author: Address

    @property
    def height(self) -> int:
        return self.payload.height

    @property
    def round(self) -> int:
        return self.payload.round

    def rlp_item(self) -> list[object]:
        return [self.payload.fields(), self.signature]


def sign(signer: Signer, payload: P) -> Signed[P]:
    """Sign ``payload`` with the validator's key."""
    return Signed(payload=payload, signature=signer.sign(signing_hash(payload)), author=signer.address)


@dataclass(frozen=True, slots=True)
class Prepare:
    signed: Signed[PreparePayload]

    @property
    def author(self) -> Address:
        return self.signed.author

    @property
    def height(self) -> int:
        return self.signed.payload.height

    @property
    def round(self) -> int:
        return self.signed.payload.round

    @property
    def digest(self) -> Hash32:
        return self.signed.payload.digest

    def encode(self) -> bytes:
        return _wrap(MessageType.PREPARE, self.signed.rlp_item())


@dataclass(frozen=True, slots=True)
class Commit:
    signed: Signed[CommitPayload]

    @property
    def author(self) -> Address:
        return self.signed.author

    @property
    def height(self) -> int:
        return self.signed.payload.height

    @property
    def round(self) -> int:
        return self.signed.payload.round

    @property
    def digest(self) -> Hash32:
        return self.signed.payload.digest

    @property
    def seal(self) -> bytes:
        return self.signed.payload.seal

    def encode(self) -> bytes:
        return _wrap(MessageType.COMMIT, self.signed.rlp_item())


@dataclass(frozen=True, slots=True)
class RoundChange:
    signed: Signed[RoundChangePayload]
    prepared_block: ConsensusBlock | None
    prepared_block_bytes: bytes
    prepares: tuple[Signed[PreparePayload], ...]

    @property
    def author(self) -> Address:
        return self.signed.author

    @property
    def height(self) -> int:
        return self.signed.payload.height

    @property
    def round(self) -> int:
        return self.signed.payload.round

    def encode(self) -> bytes:
        return _wrap(
            MessageType.ROUND_CHANGE,
            [self.signed.rlp_item(), self.prepared_block_bytes, [p.rlp_item() for p in self.prepares]],
        )


@dataclass(frozen=True, slots=True)
class Proposal:
    signed: Signed[ProposalPayload]
    round_changes: tuple[Signed[RoundChangePayload], ...]
    prepares: tuple[Signed[PreparePayload], ...]

    @property
    def author(self) -> Address:
        return self.signed.author

    @property
    def height(self) -> int:
        return self.signed.payload.height

    @property
    def round(self) -> int:
        return self.signed.payload.round

    @property
    def block(self) -> ConsensusBlock:
        return self.signed.payload.block

    def encode(self) -> bytes:
        return _wrap(
            MessageType.PROPOSAL,
            [
                self.signed.rlp_item(),
                [rc.rlp_item() for rc in self.round_changes],
                [p.rlp_item() for p in self.prepares],
            ],
        )


QbftMessage = Proposal | Prepare | Commit | RoundChange


def _wrap(message_type: MessageType, body: list[object]) -> bytes:
    return bytes(rlp.encode([int(message_type), body]))


# --- construction ---------------------------------------------------------------------------------


def make_prepare(signer: Signer, height: int, round_number: int, digest: Hash32) -> Prepare:
    return Prepare(sign(signer, PreparePayload(height, round_number, digest)))


def make_commit(signer: Signer, height: int, round_number: int, digest: Hash32, seal: bytes) -> Commit:
    return Commit(sign(signer, CommitPayload(height, round_number, digest, seal)))


def make_round_change(
    signer: Signer,
    port: BlockPort,
    height: int,
    round_number: int,
    *,
    prepared_round: int | None = None,
    prepared_block: ConsensusBlock | None = None,
    prepares: Sequence[Signed[PreparePayload]] = (),
) -> RoundChange:
    """Build a ROUND-CHANGE; with a prepared certificate when ``prepared_block`` is given."""
    if prepared_block is None or prepared_round is None:
        payload = RoundChangePayload(height, round_number, None, None)
        return RoundChange(sign(signer, payload), None, b"", ())
    payload = RoundChangePayload(height, round_number, prepared_round, prepared_block.hash)
    return RoundChange(
        sign(signer, payload), prepared_block, port.encode_block(prepared_block), tuple(prepares)
    )


def make_proposal(
    signer: Signer,
    port: BlockPort,
    height: int,
    round_number: int,
    block: ConsensusBlock,
    *,
    round_changes: Sequence[Signed[RoundChangePayload]] = (),
    prepares: Sequence[Signed[PreparePayload]] = (),
) -> Proposal:
    payload = ProposalPayload(height, round_number, block, port.encode_block(block))
    return Proposal(sign(signer, payload), tuple(round_changes), tuple(prepares))


# --- decoding ---------------------------------------------------------------------------------------


def _bytes(item: RlpItem, what: str) -> bytes:
    if not isinstance(item, bytes):
        raise MalformedMessage(f"{what}: expected a byte string, got a list")
    return item


def _list(item: RlpItem, what: str, length: int | None = None) -> list[RlpItem]:
    if not isinstance(item, list):
        raise MalformedMessage(f"{what}: expected a list, got a byte string")
    if length is not None and len(item) != length:
        raise MalformedMessage(f"{what}: expected {length} items, got {len(item)}")
    return item


def _int(item: RlpItem, what: str) -> int:
    raw = _bytes(item, what)
    if len(raw) > _MAX_INT_BYTES:
        raise MalformedMessage(f"{what}: integer too large")
    if raw[:1] == b"\x00":
        raise MalformedMessage(f"{what}: integer has leading zeros")
    return int.from_bytes(raw, "big")


def _hash(item: RlpItem, what: str) -> Hash32:
    raw = _bytes(item, what)
    if len(raw) != 32:
        raise MalformedMessage(f"{what}: expected 32 bytes, got {len(raw)}")
    return Hash32(raw)


def _signed_parts(item: RlpItem, what: str, n_fields: int) -> tuple[list[RlpItem], bytes]:
    outer = _list(item, what, 2)
    return _list(outer[0], f"{what} payload", n_fields), _bytes(outer[1], f"{what} signature")


def _finish(payload: P, signature: bytes) -> Signed[P]:
    return Signed(
        payload=payload, signature=signature, author=recover_address(signing_hash(payload), signature)
    )


def _decode_prepare(item: RlpItem) -> Signed[PreparePayload]:
    fields, signature = _signed_parts(item, "prepare", 3)
    payload = PreparePayload(
        _int(fields[0], "prepare height"),
        _int(fields[1], "prepare round"),
        _hash(fields[2], "prepare digest"),
    )
    return _finish(payload, signature)


def _decode_commit(item: RlpItem) -> Signed[CommitPayload]:
    fields, signature = _signed_parts(item, "commit", 4)
    payload = CommitPayload(
        _int(fields[0], "commit height"),
        _int(fields[1], "commit round"),
        _hash(fields[2], "commit digest"),
        _bytes(fields[3], "commit seal"),
    )
    return _finish(payload, signature)


def _decode_round_change_payload(item: RlpItem) -> Signed[RoundChangePayload]:
    fields, signature = _signed_parts(item, "round change", 3)
    prepared = _list(fields[2], "round change prepared metadata")
    if len(prepared) == 0:
        prepared_round: int | None = None
        prepared_digest: Hash32 | None = None
    elif len(prepared) == 2:
        prepared_digest = _hash(prepared[0], "prepared digest")
        prepared_round = _int(prepared[1], "prepared round")
    else:
        raise MalformedMessage("round change prepared metadata: expected 0 or 2 items")
    payload = RoundChangePayload(
        _int(fields[0], "round change height"),
        _int(fields[1], "round change round"),
        prepared_round,
        prepared_digest,
    )
    return _finish(payload, signature)


def decode_signed_prepare(item: RlpItem | list[object]) -> Signed[PreparePayload]:
    """Decode one signed PREPARE payload (as stored in certificates); raise ``MalformedMessage``."""
    return _decode_prepare(cast(RlpItem, item))


def _decode_many(item: RlpItem, what: str) -> list[RlpItem]:
    items = _list(item, what)
    if len(items) > MAX_JUSTIFICATION_ITEMS:
        raise MalformedMessage(f"{what}: {len(items)} items exceed the limit of {MAX_JUSTIFICATION_ITEMS}")
    return items


def _decode_block(port: BlockPort, data: bytes, what: str) -> ConsensusBlock:
    try:
        return port.decode_block(data)
    except NodeError as exc:
        raise MalformedMessage(f"{what}: {exc}") from exc


def decode_message(data: bytes, port: BlockPort) -> QbftMessage:
    """Decode one wire message and recover every signature in it; raise ``MalformedMessage``."""
    try:
        decoded = rlp.decode(data, strict=True)
    except DecodingError as exc:
        raise MalformedMessage(f"not valid RLP: {exc}") from exc
    top = _list(cast(RlpItem, decoded), "message", 2)
    code = _int(top[0], "message type")
    try:
        message_type = MessageType(code)
    except ValueError as exc:
        raise MalformedMessage(f"unknown message type {code:#x}") from exc
    body = top[1]
    if message_type is MessageType.PREPARE:
        return Prepare(_decode_prepare(body))
    if message_type is MessageType.COMMIT:
        return Commit(_decode_commit(body))
    if message_type is MessageType.ROUND_CHANGE:
        parts = _list(body, "round change", 3)
        signed_rc = _decode_round_change_payload(parts[0])
        block_bytes = _bytes(parts[1], "prepared block")
        block = _decode_block(port, block_bytes, "prepared block") if block_bytes else None
        prepares = tuple(_decode_prepare(p) for p in _decode_many(parts[2], "round change prepares"))
        return RoundChange(signed_rc, block, block_bytes, prepares)
    parts = _list(body, "proposal", 3)
    fields, signature = _signed_parts(parts[0], "proposal", 3)
    block_bytes = _bytes(fields[2], "proposal block")
    payload = ProposalPayload(
        _int(fields[0], "proposal height"),
        _int(fields[1], "proposal round"),
        _decode_block(port, block_bytes, "proposal block"),
        block_bytes,
    )
    round_changes = tuple(
        _decode_round_change_payload(rc) for rc in _decode_many(parts[1], "proposal round changes")
    )
    prepares = tuple(_decode_prepare(p) for p in _decode_many(parts[2], "proposal prepares"))
    return Proposal(_finish(payload, signature), round_changes, prepares)
