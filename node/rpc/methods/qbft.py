"""The ``qbft_`` namespace in Besu's names and result shapes (validators, votes, signer metrics).

Reads come from the chain (every header lists the validator set that seals its child); votes go to the
node's local :class:`QbftVotesAPI`, which puts them into the headers this node proposes. Proposing and
discarding votes are ``admin`` methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from eth_typing import Address

from node.abc import ChainReaderAPI
from node.exceptions import UnknownBlock
from node.rpc import inbound, outbound
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.errors import InvalidParams
from node.rpc.inbound import Params

DEFAULT_METRICS_BLOCKS = 100
MAX_METRICS_BLOCKS = 10_000


class QbftVotesAPI(ABC):
    """What the ``qbft_`` namespace needs from the running consensus."""

    @abstractmethod
    def validators_after(self, block_number: int) -> tuple[Address, ...]:
        """Return the set that seals the child of ``block_number`` (votes in the header applied)."""

    @abstractmethod
    def propose_vote(self, candidate: Address, add: bool) -> None: ...

    @abstractmethod
    def discard_vote(self, candidate: Address) -> bool: ...

    @abstractmethod
    def pending_votes(self) -> dict[Address, bool]: ...

    @abstractmethod
    def current_round(self) -> int | None:
        """The round this validator is in at the height being decided, or None when idle/observer."""


def namespace(reader: ChainReaderAPI, votes: QbftVotesAPI) -> Namespace:
    def _set_at(number: int) -> list[str]:
        # As Besu: the validators block N's header lists (the set that seals its child).
        return [outbound.hex_address(a) for a in votes.validators_after(number)]

    def by_number(params: Params, ctx: CallContext) -> list[str]:
        (ref,) = params.take(1)
        if ref == "pending":
            head = int(reader.head().block_number)
            return [outbound.hex_address(a) for a in votes.validators_after(head)]
        number = reader.resolve_block_number(inbound.block_number_or_tag(ref, "block"))
        if number is None:
            raise UnknownBlock(f"unknown block {ref!r}")
        return _set_at(number)

    def by_hash(params: Params, ctx: CallContext) -> list[str]:
        (value,) = params.take(1)
        header = reader.header_by_hash(inbound.hash32(value, "blockHash"))
        if header is None:
            raise UnknownBlock("no block with that hash")
        return _set_at(int(header.block_number))

    def propose(params: Params, ctx: CallContext) -> bool:
        candidate, add = params.take(2)
        votes.propose_vote(inbound.address(candidate, "address"), inbound.boolean(add, "add"))
        return True

    def discard(params: Params, ctx: CallContext) -> bool:
        (candidate,) = params.take(1)
        return votes.discard_vote(inbound.address(candidate, "address"))

    def pending(params: Params, ctx: CallContext) -> dict[str, bool]:
        params.take(0)
        return {outbound.hex_address(a): add for a, add in sorted(votes.pending_votes().items())}

    def signer_metrics(params: Params, ctx: CallContext) -> list[dict[str, Any]]:
        first, last = params.take(0, 2)
        head = int(reader.head().block_number)
        to_block = head if last is None else _number(last, head)
        from_block = max(1, to_block - DEFAULT_METRICS_BLOCKS + 1) if first is None else _number(first, head)
        from_block = max(from_block, 1)
        if to_block - from_block + 1 > MAX_METRICS_BLOCKS:
            raise InvalidParams(f"at most {MAX_METRICS_BLOCKS} blocks per call")
        counts: dict[Address, list[int]] = {}
        for number in range(from_block, to_block + 1):
            header = reader.header_by_number(number)
            if header is None:
                break
            entry = counts.setdefault(Address(header.coinbase), [0, 0])
            entry[0] += 1
            entry[1] = number
        return [
            {
                "address": outbound.hex_address(address),
                "proposedBlockCount": outbound.hex_quantity(count),
                "lastProposedBlockNumber": outbound.hex_quantity(last_number),
            }
            for address, (count, last_number) in sorted(counts.items())
        ]

    def _number(value: Any, head: int) -> int:
        ref = inbound.block_number_or_tag(value, "block")
        number = reader.resolve_block_number(ref)
        if number is None:
            raise UnknownBlock(f"unknown block {value!r}")
        return min(number, head)

    def current_round(params: Params, ctx: CallContext) -> int | None:
        params.take(0)
        return votes.current_round()

    return Namespace(
        "qbft",
        {
            "getValidatorsByBlockNumber": Method(by_number),
            "getValidatorsByBlockHash": Method(by_hash),
            "proposeValidatorVote": Method(propose, admin=True),
            "discardValidatorVote": Method(discard, admin=True),
            "getPendingVotes": Method(pending),
            "getSignerMetrics": Method(signer_metrics),
            "getRound": Method(current_round),
        },
    )
