"""Encrypted frames with explicit counters: what goes over a connection after the handshake.

A frame on the wire is::

    length (u32 BE) || counter (u64 BE) || XChaCha20-Poly1305(key, nonce=counter, ad=length||counter)[body]

``length`` counts the ciphertext only. A receiver checks ``length`` against its bound *before* reading or
allocating the body, and ``counter`` against the next one it expects: a replayed, dropped or reordered
frame is refused as such rather than as a generic decryption failure, and the header is authenticated
as associated data. Each direction has its own key (see :mod:`node.p2p.handshake`), so a nonce never
repeats under a key. These classes are pure; the connection feeds them bytes.
"""

from __future__ import annotations

import struct

from nacl.exceptions import CryptoError
from nacl.secret import Aead

from node.p2p.exceptions import DecryptionFailed, FrameError, OversizedFrame, ReplayedFrame

FRAME_HEADER = struct.Struct("!IQ")
FRAME_OVERHEAD = Aead.MACBYTES
_MAX_COUNTER = 2**64 - 1


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(Aead.NONCE_SIZE, "big")


class FrameSealer:
    """Encrypts outgoing frames under one direction's key, numbering them 0, 1, 2, …"""

    def __init__(self, key: bytes) -> None:
        self._aead = Aead(key)
        self._counter = 0

    def seal(self, body: bytes) -> bytes:
        if self._counter == _MAX_COUNTER:
            raise FrameError("frame counter exhausted; the connection must be re-established")
        header = FRAME_HEADER.pack(len(body) + FRAME_OVERHEAD, self._counter)
        ciphertext = self._aead.encrypt(body, header, nonce=_nonce(self._counter)).ciphertext
        self._counter += 1
        return header + ciphertext


class FrameOpener:
    """Checks and decrypts incoming frames; accepts only the next counter, in order, exactly once."""

    def __init__(self, key: bytes, max_body: int) -> None:
        self._aead = Aead(key)
        self._expected = 0
        self._max_ciphertext = max_body + FRAME_OVERHEAD

    def read_header(self, header: bytes) -> int:
        """Validate a 12-byte header and return how many ciphertext bytes follow it."""
        length: int
        counter: int
        length, counter = FRAME_HEADER.unpack(header)
        if length > self._max_ciphertext:
            raise OversizedFrame(f"frame of {length} bytes exceeds the bound of {self._max_ciphertext}")
        if length < FRAME_OVERHEAD:
            raise FrameError("frame shorter than its authentication tag")
        if counter != self._expected:
            raise ReplayedFrame(f"frame counter {counter}, expected {self._expected}")
        return length

    def open(self, header: bytes, ciphertext: bytes) -> bytes:
        """Authenticate and decrypt the frame whose header :meth:`read_header` accepted."""
        try:
            body = self._aead.decrypt(ciphertext, header, nonce=_nonce(self._expected))
        except CryptoError as exc:
            raise DecryptionFailed("frame failed authentication") from exc
        self._expected += 1
        return body
