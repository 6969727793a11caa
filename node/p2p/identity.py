"""A node's long-term identity: one Ed25519 key, kept in a file only its owner can read.

The node id other nodes allow-list is the public key in lowercase hex, so an id can never be claimed
without the key: the handshake makes each side sign with it. The key file holds the 32-byte seed in hex;
it is created with mode 0600 in one ``open(O_CREAT | O_EXCL)`` (no window in which it is readable by
others) and a file that group or others can read is refused, as OpenSSH refuses such keys. The secret
never appears in ``repr`` or logs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

from node.p2p.exceptions import IdentityError

NODE_ID_HEX_LENGTH = 64
_SEED_BYTES = 32


class NodeIdentity:
    """The signing key of this node and the id derived from it."""

    __slots__ = ("_signing_key", "node_id")

    def __init__(self, signing_key: SigningKey) -> None:
        self._signing_key = signing_key
        self.node_id: str = bytes(signing_key.verify_key).hex()

    @classmethod
    def generate(cls) -> NodeIdentity:
        """Return a fresh random identity (tests and first start)."""
        return cls(SigningKey.generate())

    @property
    def public_key(self) -> bytes:
        return bytes(self._signing_key.verify_key)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte detached signature of ``message``."""
        return self._signing_key.sign(message).signature

    def seed_hex(self) -> str:
        """Return the secret seed in hex, for writing the key file only."""
        return bytes(self._signing_key).hex()

    def __repr__(self) -> str:
        return f"NodeIdentity(node_id={self.node_id})"


def validate_node_id(node_id: str) -> str:
    """Return ``node_id`` normalised to lowercase; raise ``IdentityError`` unless it is a valid key."""
    lowered = node_id.lower().removeprefix("0x")
    if len(lowered) != NODE_ID_HEX_LENGTH:
        raise IdentityError(f"node id must be {NODE_ID_HEX_LENGTH} hex characters, got {len(lowered)}")
    try:
        VerifyKey(bytes.fromhex(lowered))
    except (ValueError, CryptoError) as exc:
        raise IdentityError("node id is not a valid Ed25519 public key") from exc
    return lowered


def verify_signature(node_id: bytes, message: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` over ``message`` was made by the key ``node_id``."""
    try:
        VerifyKey(node_id).verify(message, signature)
    except (BadSignatureError, CryptoError, ValueError):
        return False
    return True


def load_or_create_identity(path: Path) -> NodeIdentity:
    """Load the node key at ``path``, creating it (mode 0600) if it does not exist yet."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_identity(path)
    except OSError as exc:
        raise IdentityError(f"cannot create node key file {path}: {exc.strerror}") from exc
    identity = NodeIdentity.generate()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(identity.seed_hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return identity


def _load_identity(path: Path) -> NodeIdentity:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise IdentityError(
                f"node key file {path} is accessible by group or others (mode {stat.S_IMODE(mode):o}); "
                "chmod 600 it"
            )
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IdentityError(f"cannot read node key file {path}") from exc
    try:
        seed = bytes.fromhex(text)
    except ValueError as exc:
        raise IdentityError(f"node key file {path} is not hex") from exc
    if len(seed) != _SEED_BYTES:
        raise IdentityError(f"node key file {path} must hold a {_SEED_BYTES}-byte seed")
    return NodeIdentity(SigningKey(seed))
