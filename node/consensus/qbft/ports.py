"""What the state machine needs from the node, as small protocols (ports).

Blocks stay opaque: the machine reads ``hash``, ``number`` and ``proposer`` and otherwise hands a block
back to the node. Everything that depends on the node's header format (encoding a block for the wire,
validating it on its parent, the hash a commit seal signs) sits behind :class:`BlockPort`, so the header
codec in ``node/bft/extra_data.py`` can evolve without touching the protocol logic, and tests can run the
machine on a tiny block type. From the machine's point of view every port call is a pure function.

The block ``hash`` must not depend on the round or the commit seals (Besu hashes the header with round 0
and no seals), because a block prepared in one round is re-proposed unchanged in a later one; the round
enters only the seal hash.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey, Signature
from eth_keys.exceptions import BadSignature
from eth_typing import Address, Hash32
from eth_utils.exceptions import ValidationError as KeysValidationError

from node.consensus.exceptions import MalformedMessage

SIGNATURE_LENGTH = 65


class ConsensusBlock(Protocol):
    """The three facts about a block the protocol needs."""

    @property
    def hash(self) -> Hash32:
        """Return the block hash that PREPARE and COMMIT refer to (independent of round and seals)."""
        ...

    @property
    def number(self) -> int: ...

    @property
    def proposer(self) -> Address:
        """Return the address the block names as its proposer (the header's coinbase)."""
        ...


class BlockPort(Protocol):
    """The node's block services, called synchronously by the machine."""

    def encode_block(self, block: ConsensusBlock) -> bytes:
        """Return the block's wire encoding (it travels inside PROPOSAL and ROUND-CHANGE)."""
        ...

    def decode_block(self, data: bytes) -> ConsensusBlock:
        """Decode a block from the wire; raise ``MalformedMessage`` (or any ``NodeError``) on bad input."""
        ...

    def is_valid(self, block: ConsensusBlock) -> bool:
        """Return whether the block is valid on the node's current head (execution, gas, timestamps).

        May raise a ``NodeError`` (e.g. ``InvalidBlock``) instead of returning ``False``.
        """
        ...

    def seal_hash(self, block: ConsensusBlock, round_number: int) -> Hash32:
        """Return the hash a commit seal signs: the header with this round and no seals."""
        ...


class Signer(Protocol):
    """The validator's key; an HSM or a remote signer can stand behind it."""

    @property
    def address(self) -> Address: ...

    def sign(self, digest: Hash32) -> bytes:
        """Return a 65-byte secp256k1 signature ``r || s || v`` (v in {0, 1}) of ``digest``."""
        ...


class LocalKeySigner:
    """A :class:`Signer` holding the private key in memory (development nodes and tests)."""

    __slots__ = ("_address", "_key")

    def __init__(self, private_key: bytes) -> None:
        self._key = PrivateKey(private_key)
        self._address = Address(self._key.public_key.to_canonical_address())

    @property
    def address(self) -> Address:
        return self._address

    def sign(self, digest: Hash32) -> bytes:
        return bytes(self._key.sign_msg_hash(digest).to_bytes())

    def __repr__(self) -> str:  # never show the key
        return f"LocalKeySigner({self._address.hex()})"


@lru_cache(maxsize=65536)
def recover_address(digest: bytes, signature: bytes) -> Address:
    """Return the address that signed ``digest``; raise ``MalformedMessage`` if none can be recovered.

    Cached because every validator checks the same signatures several times (in the message, again in
    round-change and prepared certificates), and pure-Python recovery costs milliseconds.
    """
    if len(signature) != SIGNATURE_LENGTH:
        raise MalformedMessage(f"signature must be {SIGNATURE_LENGTH} bytes, got {len(signature)}")
    if len(digest) != 32:
        raise MalformedMessage(f"signed digest must be 32 bytes, got {len(digest)}")
    try:
        sig = Signature(signature_bytes=signature)
        return Address(sig.recover_public_key_from_msg_hash(digest).to_canonical_address())
    except (BadSignature, KeysValidationError, ValueError) as exc:
        raise MalformedMessage(f"signature cannot be recovered: {exc}") from exc


def keccak256(data: bytes) -> Hash32:
    """Return keccak-256 of ``data`` (the hash of every signed consensus payload)."""
    return Hash32(keccak(data))
