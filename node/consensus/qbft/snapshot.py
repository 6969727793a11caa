"""The part of a validator's consensus state that must survive a crash.

A validator that sent PREPARE or COMMIT for a block in a round, or reported a prepared certificate,
must remember it after ``kill -9``: otherwise on restart it could vote for another block in the same
round (equivocate) or drop the certificate that keeps a possibly committed block alive. The snapshot is
small, RLP-encoded and versioned; the node stores the bytes atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import rlp
from eth_typing import Hash32
from rlp.exceptions import DecodingError

from node.consensus.exceptions import InvalidSnapshot, MalformedMessage
from node.consensus.qbft.messages import PreparePayload, Signed, decode_signed_prepare
from node.consensus.qbft.ports import BlockPort
from node.consensus.qbft.round_change import PreparedCertificate
from node.exceptions import NodeError

SNAPSHOT_VERSION = 1

Vote = tuple[int, Hash32]
"""``(round, block hash)`` of a vote sent."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    height: int
    round: int
    prepare_vote: Vote | None
    """The last PROPOSAL/PREPARE sent at this height (rounds only grow, so the last is the only one live)."""
    commit_vote: Vote | None
    prepared: PreparedCertificate | None

    def encode(self) -> bytes:
        def vote(v: Vote | None) -> list[object]:
            return [] if v is None else [v[0], v[1]]

        prepared: list[object] = (
            []
            if self.prepared is None
            else [
                self.prepared.round,
                self.prepared.block_bytes,
                [p.rlp_item() for p in self.prepared.prepares],
            ]
        )
        return bytes(
            rlp.encode(
                [
                    SNAPSHOT_VERSION,
                    self.height,
                    self.round,
                    vote(self.prepare_vote),
                    vote(self.commit_vote),
                    prepared,
                ]
            )
        )

    @classmethod
    def decode(cls, data: bytes, port: BlockPort) -> Snapshot:
        """Decode stored bytes; raise :class:`InvalidSnapshot` on anything unexpected."""
        try:
            items = cast(list[object], rlp.decode(data, strict=True))
            version, height, round_number, prepare_vote, commit_vote, prepared = items
            if _int(version) != SNAPSHOT_VERSION:
                raise InvalidSnapshot(f"unsupported snapshot version {_int(version)}")
            cert: PreparedCertificate | None = None
            if prepared:
                p_round, block_bytes, prepares = cast(list[object], prepared)
                block = port.decode_block(cast(bytes, block_bytes))
                decoded: tuple[Signed[PreparePayload], ...] = tuple(
                    decode_signed_prepare(cast(bytes | list[object], p)) for p in cast(list[object], prepares)
                )
                cert = PreparedCertificate(_int(p_round), block, cast(bytes, block_bytes), decoded)
            return cls(
                height=_int(height),
                round=_int(round_number),
                prepare_vote=_vote(prepare_vote),
                commit_vote=_vote(commit_vote),
                prepared=cert,
            )
        except InvalidSnapshot:
            raise
        except (DecodingError, MalformedMessage, NodeError, ValueError, TypeError) as exc:
            raise InvalidSnapshot(f"cannot decode consensus snapshot: {exc}") from exc


def _int(item: object) -> int:
    if not isinstance(item, bytes):
        raise InvalidSnapshot("expected an integer")
    return int.from_bytes(item, "big")


def _vote(item: object) -> Vote | None:
    if not isinstance(item, list):
        raise InvalidSnapshot("expected a vote list")
    if not item:
        return None
    round_number, digest = item
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise InvalidSnapshot("vote digest must be 32 bytes")
    return _int(round_number), Hash32(digest)
