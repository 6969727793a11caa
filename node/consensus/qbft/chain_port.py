"""The :class:`BlockPort` over the real node: py-evm blocks with Besu-QBFT headers (``node/bft``).

This is the only module of the consensus package that knows the header format; it borrows every rule
from ``node.bft.extra_data`` (block hash with round 0 and no seals, commit-seal hash with the round) so
the state machine and the import check can never disagree on what a seal signs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import rlp
from eth.abc import BlockAPI
from eth_typing import Address, Hash32
from rlp.exceptions import DecodingError, DeserializationError

from node.abc import ChainServiceAPI
from node.bft.extra_data import commit_seal_hash, decode_extra_data
from node.bft.header import BftBlock
from node.consensus.exceptions import MalformedMessage
from node.consensus.qbft.actions import CommitBlock
from node.consensus.qbft.ports import ConsensusBlock
from node.exceptions import InvalidBlock, NodeError

MAX_FUTURE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class ChainBlock:
    """A py-evm block as the state machine sees it."""

    block: BlockAPI

    @property
    def hash(self) -> Hash32:
        return Hash32(self.block.header.hash)

    @property
    def number(self) -> int:
        return int(self.block.header.block_number)

    @property
    def proposer(self) -> Address:
        return Address(self.block.header.coinbase)


def _unwrap(block: ConsensusBlock) -> BlockAPI:
    if not isinstance(block, ChainBlock):
        raise MalformedMessage(f"expected a ChainBlock, got {type(block).__name__}")
    return block.block


class ChainBlockPort:
    """Encode, decode, validate and seal-hash blocks of a :class:`ChainServiceAPI`."""

    def __init__(
        self,
        chain: ChainServiceAPI,
        *,
        clock: Callable[[], float] | None = None,
        max_future_seconds: float = MAX_FUTURE_SECONDS,
    ) -> None:
        """With ``clock``, a proposal stamped more than ``max_future_seconds`` ahead of it is invalid: a
        Byzantine proposer must not drag the chain's time away from the validators' clocks."""
        self._chain = chain
        self._clock = clock
        self._max_future = max_future_seconds

    def encode_block(self, block: ConsensusBlock) -> bytes:
        return bytes(rlp.encode(_unwrap(block)))

    def decode_block(self, data: bytes) -> ChainBlock:
        try:
            block = rlp.decode(data, sedes=BftBlock)
            decode_extra_data(block.header.extra_data)  # a header without QBFT extraData has no BFT hash
        except (DecodingError, DeserializationError, NodeError, ValueError, TypeError) as exc:
            raise MalformedMessage(f"not a QBFT block: {exc}") from exc
        return ChainBlock(block)

    def is_valid(self, block: ConsensusBlock) -> bool:
        """Re-execute on the parent; ``InvalidBlock`` (a ``NodeError``) means invalid."""
        unwrapped = _unwrap(block)
        if self._clock is not None and unwrapped.header.timestamp > self._clock() + self._max_future:
            raise InvalidBlock(f"timestamp {unwrapped.header.timestamp} is too far in the future")
        self._chain.validate_candidate(unwrapped)
        return True

    def seal_hash(self, block: ConsensusBlock, round_number: int) -> Hash32:
        header = _unwrap(block).header
        extra = decode_extra_data(header.extra_data).with_round(round_number).with_seals(())
        return commit_seal_hash(header.copy(extra_data=extra.encode()))


def sealed_block(decision: CommitBlock) -> BlockAPI:
    """Return the decided block with its round and commit seals in extraData, ready for ``commit_block``."""
    block = _unwrap(decision.block)
    extra = decode_extra_data(block.header.extra_data).with_round(decision.round).with_seals(decision.seals)
    return block.copy(header=block.header.copy(extra_data=extra.encode()))
