"""The import check of BFT blocks, plugged into py-evm through its ``ConsensusAPI`` hook.

py-evm calls ``validate_seal`` and ``validate_seal_extension`` for every block it validates; here that
means: the header is a well-formed QBFT header, its validator list is the set that follows the parent,
and its commit seals are a quorum of distinct validators of that set. The single-node producer is a
validator set of one sealing its own blocks, so exactly the same check applies to it and to QBFT.

Validator votes ride in headers: the set a block lists must be its parent's with the block's vote
counted (:func:`node.voting.expected_validators`, more than half of the validators agreeing adds or
drops a candidate; the tally resets every ``epoch_length`` blocks). The set after a block is then simply
the set the block lists (:func:`validators_after`).
"""

from __future__ import annotations

from collections.abc import Iterable

from eth.abc import BlockHeaderAPI, ConsensusAPI, ConsensusContextAPI
from eth.exceptions import HeaderNotFound
from eth_typing import Address, Hash32

from node.bft.extra_data import (
    BFT_MIX_HASH,
    InvalidExtraData,
    InvalidSeal,
    decode_extra_data,
    verify_commit_seals,
)
from node.bft.header import decode_header
from node.voting import DEFAULT_EPOCH_LENGTH, expected_validators


def validators_after(header: BlockHeaderAPI) -> tuple[Address, ...]:
    """Return the validator set that seals the child of ``header``."""
    return decode_extra_data(header.extra_data).validators


class BftSealConsensus(ConsensusAPI):
    """Validates QBFT commit seals on import (py-evm ``ConsensusAPI``)."""

    epoch_length: int = DEFAULT_EPOCH_LENGTH
    """Set per network with :func:`for_epoch` (genesis ``bft.epochLength``)."""

    def __init__(self, context: ConsensusContextAPI) -> None:
        # py-evm's ConsensusContext carries the chain database; the API type does not declare it.
        self._db = context.db  # type: ignore[attr-defined]

    def validate_seal(self, header: BlockHeaderAPI) -> None:
        decode_extra_data(header.extra_data)
        if header.mix_hash != BFT_MIX_HASH:
            raise InvalidExtraData("mixHash does not mark a BFT block")

    def validate_seal_extension(self, header: BlockHeaderAPI, parents: Iterable[BlockHeaderAPI]) -> None:
        known = tuple(parents)
        parent: BlockHeaderAPI | None = known[-1] if known else None
        if parent is None or parent.hash != header.parent_hash:
            try:
                parent = decode_header(self._db[header.parent_hash])
            except KeyError as exc:
                raise HeaderNotFound(f"parent of block #{header.block_number} is unknown") from exc

        def parent_of(block_hash: Hash32) -> BlockHeaderAPI:
            try:
                return decode_header(self._db[block_hash])
            except KeyError as exc:
                raise HeaderNotFound("an ancestor needed for the vote tally is unknown") from exc

        listed = decode_extra_data(header.extra_data).validators
        if listed != expected_validators(header, parent, parent_of, self.epoch_length):
            raise InvalidSeal(
                f"block #{header.block_number} lists a validator set other than its parent's with its vote"
            )
        # Seals come from the set that was current when the block was decided: the parent's.
        verify_commit_seals(header, validators_after(parent))

    @classmethod
    def get_fee_recipient(cls, header: BlockHeaderAPI) -> Address:
        return header.coinbase


def for_epoch(epoch_length: int) -> type[BftSealConsensus]:
    """Return the seal check of a network whose vote tally resets every ``epoch_length`` blocks."""
    if epoch_length == DEFAULT_EPOCH_LENGTH:
        return BftSealConsensus
    return type(f"BftSealConsensusEpoch{epoch_length}", (BftSealConsensus,), {"epoch_length": epoch_length})
