"""The authenticated key exchange that opens every connection (pure: bytes in, bytes out, no sockets).

Three messages, a SIGMA-I-style exchange shaped after Noise XX (identities are sent encrypted, the
initiator reveals its identity only to a responder it has already authenticated)::

    1. I -> R   TAG || chain_id (u64 BE) || genesis_hash (32) || e_I (32)            in clear
    2. R -> I   e_R (32) || AEAD(k_hs, n=0, ad=h2)[ s_R (32) || sig_R ]
    3. I -> R   AEAD(k_hs, n=1, ad=h3)[ s_I (32) || sig_I ]

    dh    = X25519(e_I, e_R)                       (an all-zero result is refused: low-order key)
    h2    = BLAKE2b("hs-transcript", msg1 || e_R)
    k_hs  = BLAKE2b(key=dh, "hs-key", h2)
    sig_R = Ed25519(s_R, "responder" || h2)
    h3    = BLAKE2b("hs-transcript", h2 || s_R)
    sig_I = Ed25519(s_I, "initiator" || h3)
    hf    = BLAKE2b("hs-transcript", h3 || s_I)
    k_i2r = BLAKE2b(key=dh, "i2r", hf),  k_r2i = BLAKE2b(key=dh, "r2i", hf)

``e_*`` are fresh X25519 keys, ``s_*`` the Ed25519 identity keys (the node ids). Each signature covers
both ephemerals, the protocol tag and the network id (through ``msg1``), so it cannot be replayed into
another session or another chain; the initiator's also covers the responder's identity. Decrypting
message 2 or 3 proves the sender computed ``dh``. A responder of another chain refuses message 1 before
revealing anything; the allow-list is checked once a side has proved possession of its key. The session
keys differ per direction, so frame nonces (counters, see :mod:`node.p2p.framing`) never repeat under
one key. Only PyNaCl primitives are used (X25519, Ed25519, BLAKE2b, XChaCha20-Poly1305).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from nacl.bindings import crypto_scalarmult
from nacl.encoding import RawEncoder
from nacl.exceptions import CryptoError
from nacl.hash import blake2b
from nacl.public import PrivateKey
from nacl.secret import Aead

from node.p2p.exceptions import HandshakeError, NetworkMismatch
from node.p2p.identity import NodeIdentity, verify_signature

PROTOCOL_TAG = b"permitchain-p2p/1"
"""Protocol name and version; a peer speaking another version fails at message 1."""

_KEY = 32
_SIG = 64
_NETWORK_ID = struct.Struct("!Q32s")
FIRST_MESSAGE_SIZE = len(PROTOCOL_TAG) + _NETWORK_ID.size + _KEY
SECOND_MESSAGE_SIZE = _KEY + _KEY + _SIG + Aead.MACBYTES
THIRD_MESSAGE_SIZE = _KEY + _SIG + Aead.MACBYTES
_MAX_CHAIN_ID = 2**64 - 1


@dataclass(frozen=True, slots=True)
class NetworkId:
    """Which chain a node belongs to; nodes of different chains never talk."""

    chain_id: int
    genesis_hash: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.chain_id <= _MAX_CHAIN_ID:
            raise HandshakeError("chain id must fit in 64 bits")
        if len(self.genesis_hash) != 32:
            raise HandshakeError("genesis hash must be 32 bytes")

    def encode(self) -> bytes:
        return _NETWORK_ID.pack(self.chain_id, self.genesis_hash)

    def __str__(self) -> str:
        return f"{self.chain_id}/0x{self.genesis_hash.hex()}"


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """What a completed handshake yields: the authenticated remote id and one key per direction."""

    remote_id: str
    send_key: bytes
    receive_key: bytes

    def __repr__(self) -> str:
        return f"SessionKeys(remote_id={self.remote_id})"


def _hash(person: bytes, data: bytes, key: bytes = b"") -> bytes:
    return blake2b(data, digest_size=32, key=key, person=person, encoder=RawEncoder)


def _transcript(data: bytes) -> bytes:
    return _hash(b"pc-hs-transcript", data)


def _shared_secret(own: PrivateKey, remote_public: bytes) -> bytes:
    try:
        secret = crypto_scalarmult(bytes(own), remote_public)
    except CryptoError as exc:  # libsodium refuses an all-zero result itself
        raise HandshakeError("remote ephemeral key is a low-order point") from exc
    if secret == bytes(len(secret)):
        raise HandshakeError("remote ephemeral key is a low-order point")
    return secret


def _nonce(n: int) -> bytes:
    return n.to_bytes(Aead.NONCE_SIZE, "big")


def _session_keys(dh: bytes, final_hash: bytes) -> tuple[bytes, bytes]:
    """Return ``(initiator->responder, responder->initiator)`` keys."""
    return _hash(b"pc-hs-i2r", final_hash, key=dh), _hash(b"pc-hs-r2i", final_hash, key=dh)


def _open(key: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:
    try:
        return Aead(key).decrypt(ciphertext, ad, nonce=_nonce(n))
    except CryptoError as exc:
        raise HandshakeError("handshake message failed authentication") from exc


def _seal(key: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
    return Aead(key).encrypt(plaintext, ad, nonce=_nonce(n)).ciphertext


def _split_identity(plaintext: bytes) -> tuple[bytes, bytes]:
    return plaintext[:_KEY], plaintext[_KEY:]


class InitiatorHandshake:
    """The dialling side: writes message 1, reads message 2, writes message 3."""

    def __init__(
        self, identity: NodeIdentity, network: NetworkId, ephemeral: PrivateKey | None = None
    ) -> None:
        self._identity = identity
        self._ephemeral = ephemeral or PrivateKey.generate()
        self._msg1 = PROTOCOL_TAG + network.encode() + bytes(self._ephemeral.public_key)
        self._dh = b""
        self._h3 = b""
        self._k_hs = b""
        self._remote = b""

    def first_message(self) -> bytes:
        return self._msg1

    def read_second(self, message: bytes) -> str:
        """Verify the responder's message 2 and return its (now authenticated) node id."""
        if len(message) != SECOND_MESSAGE_SIZE:
            raise HandshakeError("handshake message 2 has the wrong size")
        e_r, sealed = message[:_KEY], message[_KEY:]
        self._dh = _shared_secret(self._ephemeral, e_r)
        h2 = _transcript(self._msg1 + e_r)
        self._k_hs = _hash(b"pc-hs-key", h2, key=self._dh)
        remote, signature = _split_identity(_open(self._k_hs, 0, h2, sealed))
        if not verify_signature(remote, b"responder" + h2, signature):
            raise HandshakeError("responder signature does not verify")
        self._remote = remote
        self._h3 = _transcript(h2 + remote)
        return remote.hex()

    def third_message(self) -> bytes:
        if not self._remote:
            raise HandshakeError("message 2 must be read before message 3 is written")
        body = self._identity.public_key + self._identity.sign(b"initiator" + self._h3)
        return _seal(self._k_hs, 1, self._h3, body)

    def keys(self) -> SessionKeys:
        if not self._remote:
            raise HandshakeError("handshake not complete")
        i2r, r2i = _session_keys(self._dh, _transcript(self._h3 + self._identity.public_key))
        return SessionKeys(remote_id=self._remote.hex(), send_key=i2r, receive_key=r2i)


class ResponderHandshake:
    """The accepting side: reads message 1, writes message 2, reads message 3."""

    def __init__(
        self, identity: NodeIdentity, network: NetworkId, ephemeral: PrivateKey | None = None
    ) -> None:
        self._identity = identity
        self._network = network
        self._ephemeral = ephemeral or PrivateKey.generate()
        self._dh = b""
        self._h2 = b""
        self._h3 = b""
        self._k_hs = b""
        self._remote = b""

    def read_first(self, message: bytes) -> None:
        """Check protocol tag and network id of message 1; raise ``NetworkMismatch`` for another chain."""
        if len(message) != FIRST_MESSAGE_SIZE or not message.startswith(PROTOCOL_TAG):
            raise HandshakeError("not a permitchain-p2p/1 handshake")
        offset = len(PROTOCOL_TAG)
        chain_id, genesis_hash = _NETWORK_ID.unpack_from(message, offset)
        offered = NetworkId(chain_id, genesis_hash)
        if offered != self._network:
            raise NetworkMismatch(f"remote is on network {offered}, this node on {self._network}")
        e_i = message[offset + _NETWORK_ID.size :]
        self._dh = _shared_secret(self._ephemeral, e_i)
        e_r = bytes(self._ephemeral.public_key)
        self._h2 = _transcript(message + e_r)
        self._k_hs = _hash(b"pc-hs-key", self._h2, key=self._dh)

    def second_message(self) -> bytes:
        if not self._h2:
            raise HandshakeError("message 1 must be read before message 2 is written")
        body = self._identity.public_key + self._identity.sign(b"responder" + self._h2)
        return bytes(self._ephemeral.public_key) + _seal(self._k_hs, 0, self._h2, body)

    def read_third(self, message: bytes) -> str:
        """Verify the initiator's message 3 and return its (now authenticated) node id."""
        if not self._h2:
            raise HandshakeError("message 1 must be read before message 3")
        if len(message) != THIRD_MESSAGE_SIZE:
            raise HandshakeError("handshake message 3 has the wrong size")
        self._h3 = _transcript(self._h2 + self._identity.public_key)
        remote, signature = _split_identity(_open(self._k_hs, 1, self._h3, message))
        if not verify_signature(remote, b"initiator" + self._h3, signature):
            raise HandshakeError("initiator signature does not verify")
        self._remote = remote
        return remote.hex()

    def keys(self) -> SessionKeys:
        if not self._remote:
            raise HandshakeError("handshake not complete")
        i2r, r2i = _session_keys(self._dh, _transcript(self._h3 + self._remote))
        return SessionKeys(remote_id=self._remote.hex(), send_key=r2i, receive_key=i2r)
