"""The plaintext inside a frame: message kind, role (message, request, response, error) and request id.

Layout: ``kind (u8) || role (u8) || request_id (u64 BE) || payload``. The request id pairs a response with
its request on the same connection; plain messages carry 0. Decoding refuses unknown kinds and roles, so
an authenticated peer sending garbage is a protocol violation, not a crash.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from node.abc import MessageKind
from node.p2p.exceptions import FrameError

_HEADER = struct.Struct("!BBQ")
ENVELOPE_OVERHEAD = _HEADER.size


class Role(IntEnum):
    MESSAGE = 0
    REQUEST = 1
    RESPONSE = 2
    ERROR = 3
    """A response saying the request could not be answered; the payload is a short UTF-8 reason."""


@dataclass(frozen=True, slots=True)
class Envelope:
    kind: MessageKind
    role: Role
    request_id: int
    payload: bytes

    def encode(self) -> bytes:
        return _HEADER.pack(self.kind, self.role, self.request_id) + self.payload

    @classmethod
    def decode(cls, body: bytes) -> Envelope:
        if len(body) < _HEADER.size:
            raise FrameError("frame body shorter than the envelope header")
        kind, role, request_id = _HEADER.unpack_from(body)
        try:
            return cls(MessageKind(kind), Role(role), request_id, body[_HEADER.size :])
        except ValueError as exc:
            raise FrameError(f"unknown message kind {kind} or role {role}") from exc
