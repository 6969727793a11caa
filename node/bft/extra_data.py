"""Besu-QBFT ``extraData``: codec, the two hashing rules, commit seals.

Layout (as Besu's QBFT writes it): ``RLP([vanity32, [validators], vote, round, [seals]])`` where "no
vote" is the empty list, a vote is ``[address, 0xFF]`` (add) or ``[address, ""]`` (drop: Besu writes an
RLP null, and also reads a single 0x00 byte as drop), ``round`` is an RLP integer and each seal is a
65-byte secp256k1 signature ``r || s || v`` (``v`` in {0, 1}).

Two hashes are derived from a header by re-encoding its extraData:

* the **block hash** leaves the seals out and forces round 0, so every node computes the same hash
  whichever quorum of seals (and whichever round) it committed the block with;
* the **commit-seal hash** leaves the seals out but keeps the round, so a seal binds its signer to the
  round it committed in.

Everything here is pure (no I/O) so consensus, import validation and the RPC layer share one
definition of what a header means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import rlp
from eth.abc import BlockHeaderAPI
from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey, Signature
from eth_keys.exceptions import BadSignature
from eth_typing import Address, Hash32
from eth_utils.exceptions import ValidationError as KeyValidationError

from node.exceptions import InvalidBlock

VANITY_LENGTH = 32
SEAL_LENGTH = 65
ADDRESS_LENGTH = 20
VOTE_ADD = b"\xff"
VOTE_DROP = b""
VOTE_DROP_LEGACY = b"\x00"

BFT_MIX_HASH = Hash32(bytes.fromhex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"))
"""``mixHash`` that marks a BFT block (ASCII "tical byzantine fault tolerance")."""


class InvalidExtraData(InvalidBlock):
    """``extraData`` is not a well-formed QBFT structure."""

    code = "invalid_extra_data"


class InvalidSeal(InvalidBlock):
    """A commit seal is malformed, duplicated, from a non-validator, or there are too few."""

    code = "invalid_seal"


@dataclass(frozen=True, slots=True)
class Vote:
    """A validator vote riding in a header: add (``True``) or drop (``False``) ``recipient``."""

    recipient: Address
    add: bool


@dataclass(frozen=True, slots=True)
class BftExtraData:
    """The decoded QBFT ``extraData`` of one header."""

    vanity: bytes
    validators: tuple[Address, ...]
    vote: Vote | None
    round: int
    seals: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.vanity) != VANITY_LENGTH:
            raise InvalidExtraData(f"vanity must be {VANITY_LENGTH} bytes, got {len(self.vanity)}")
        if any(len(v) != ADDRESS_LENGTH for v in self.validators):
            raise InvalidExtraData("every validator must be a 20-byte address")
        if self.round < 0:
            raise InvalidExtraData("round must not be negative")
        if any(len(s) != SEAL_LENGTH for s in self.seals):
            raise InvalidExtraData(f"every commit seal must be {SEAL_LENGTH} bytes")

    def _items(self, *, with_seals: bool, round_number: int) -> list[object]:
        vote: list[object] = (
            [] if self.vote is None else [self.vote.recipient, VOTE_ADD if self.vote.add else VOTE_DROP]
        )
        return [
            self.vanity,
            list(self.validators),
            vote,
            round_number,
            list(self.seals) if with_seals else [],
        ]

    def encode(self) -> bytes:
        """Return the full extraData (seals and round included), as stored in the header."""
        return bytes(rlp.encode(self._items(with_seals=True, round_number=self.round)))

    def encode_without_seals(self) -> bytes:
        """Return extraData as a commit seal signs it: no seals, round kept."""
        return bytes(rlp.encode(self._items(with_seals=False, round_number=self.round)))

    def encode_for_block_hash(self) -> bytes:
        """Return extraData as the block hash covers it: no seals, round 0."""
        return bytes(rlp.encode(self._items(with_seals=False, round_number=0)))

    def with_seals(self, seals: tuple[bytes, ...]) -> BftExtraData:
        return replace(self, seals=seals)

    def with_round(self, round_number: int) -> BftExtraData:
        return replace(self, round=round_number)


def genesis_extra_data(validators: tuple[Address, ...], vanity: bytes = b"\x00" * VANITY_LENGTH) -> bytes:
    """Return the genesis extraData that fixes the first validator set (no vote, round 0, no seals)."""
    return BftExtraData(vanity=vanity, validators=validators, vote=None, round=0, seals=()).encode()


def decode_extra_data(raw: bytes) -> BftExtraData:
    """Parse QBFT extraData; raise :class:`InvalidExtraData` for anything else."""
    try:
        items = rlp.decode(raw)
    except rlp.DecodingError as exc:
        raise InvalidExtraData(f"extraData is not RLP: {exc}") from exc
    if not isinstance(items, list) or len(items) != 5:
        raise InvalidExtraData("extraData must be an RLP list of 5 items")
    vanity, validators, vote_item, round_item, seals = items
    if not isinstance(vanity, bytes) or not isinstance(validators, list) or not isinstance(seals, list):
        raise InvalidExtraData("extraData items have the wrong shape")
    if not all(isinstance(v, bytes) for v in validators) or not all(isinstance(s, bytes) for s in seals):
        raise InvalidExtraData("validators and seals must be byte strings")
    if not isinstance(round_item, bytes) or (round_item[:1] == b"\x00"):
        raise InvalidExtraData("round must be a canonical RLP integer")
    vote: Vote | None
    if vote_item == []:
        vote = None
    elif (
        isinstance(vote_item, list)
        and len(vote_item) == 2
        and isinstance(vote_item[0], bytes)
        and len(vote_item[0]) == ADDRESS_LENGTH
        and vote_item[1] in (VOTE_ADD, VOTE_DROP, VOTE_DROP_LEGACY)
    ):
        vote = Vote(recipient=Address(vote_item[0]), add=vote_item[1] == VOTE_ADD)
    else:
        raise InvalidExtraData("vote must be [] or [address, 0xFF | empty]")
    return BftExtraData(
        vanity=vanity,
        validators=tuple(Address(v) for v in validators),
        vote=vote,
        round=int.from_bytes(round_item, "big"),
        seals=tuple(seals),
    )


def _header_hash_with_extra(header: BlockHeaderAPI, extra: bytes) -> Hash32:
    # rlp.Serializable headers: re-encode every field, swapping only extraData.
    fields = [getattr(header, name) for name, _ in header._meta.fields]  # type: ignore[attr-defined]
    index = [name for name, _ in header._meta.fields].index("extra_data")  # type: ignore[attr-defined]
    fields[index] = extra
    sedes = header._meta.sedes  # type: ignore[attr-defined]
    return Hash32(keccak(rlp.encode(fields, sedes=sedes)))


def block_hash(header: BlockHeaderAPI) -> Hash32:
    """Return the on-chain hash: the header with extraData re-encoded without seals and round 0."""
    return _header_hash_with_extra(header, decode_extra_data(header.extra_data).encode_for_block_hash())


def commit_seal_hash(header: BlockHeaderAPI) -> Hash32:
    """Return what a commit seal signs: the header with extraData without seals, round kept."""
    return _header_hash_with_extra(header, decode_extra_data(header.extra_data).encode_without_seals())


def sign_commit_seal(private_key: PrivateKey, header: BlockHeaderAPI) -> bytes:
    """Return this validator's 65-byte commit seal over ``header`` (as a COMMIT message carries it)."""
    return bytes(private_key.sign_msg_hash(commit_seal_hash(header)).to_bytes())


def recover_seal_signer(seal: bytes, seal_hash: Hash32) -> Address:
    """Return the address that produced ``seal`` over ``seal_hash``; raise :class:`InvalidSeal`."""
    if len(seal) != SEAL_LENGTH:
        raise InvalidSeal(f"commit seal must be {SEAL_LENGTH} bytes")
    try:
        signature = Signature(signature_bytes=seal)
        return Address(signature.recover_public_key_from_msg_hash(seal_hash).to_canonical_address())
    except (BadSignature, KeyValidationError, ValueError) as exc:
        raise InvalidSeal(f"commit seal does not recover: {exc}") from exc


def quorum(validator_count: int) -> int:
    """Return QBFT's quorum ``ceil(2n/3)`` (n=1 -> 1, 4 -> 3, 5 -> 4, 7 -> 5)."""
    if validator_count <= 0:
        raise InvalidSeal("an empty validator set can seal nothing")
    return math.ceil(2 * validator_count / 3)


def verify_commit_seals(header: BlockHeaderAPI, validators: tuple[Address, ...]) -> tuple[Address, ...]:
    """Check ``header``'s seals against ``validators`` (the parent's set); return the signers.

    Every seal must recover, no signer twice, every signer a validator, and at least a quorum.
    """
    extra = decode_extra_data(header.extra_data)
    seal_hash = commit_seal_hash(header)
    allowed = set(validators)
    signers: list[Address] = []
    for seal in extra.seals:
        signer = recover_seal_signer(seal, seal_hash)
        if signer in signers:
            raise InvalidSeal(f"duplicate commit seal from 0x{signer.hex()}")
        if signer not in allowed:
            raise InvalidSeal(f"commit seal from 0x{signer.hex()}, not a validator of the parent block")
        signers.append(signer)
    needed = quorum(len(validators))
    if len(signers) < needed:
        raise InvalidSeal(f"{len(signers)} commit seals, quorum of {len(validators)} validators is {needed}")
    return tuple(signers)


def with_commit_seals(header: BlockHeaderAPI, seals: tuple[bytes, ...]) -> BlockHeaderAPI:
    """Return ``header`` carrying ``seals`` in its extraData (the block hash does not change)."""
    extra = decode_extra_data(header.extra_data).with_seals(seals)
    return header.copy(extra_data=extra.encode())
