"""The node's interfaces, in one place (as py-evm keeps ``eth/abc.py``).

Everything else in ``node/`` is typed against these: the JSON-RPC layer only sees
:class:`ChainReaderAPI`, :class:`TxPoolAPI` and :class:`NodeEventsAPI`; a consensus engine only sees
:class:`ChainServiceAPI` and :class:`TxPoolAPI`. Block production goes through
:class:`BlockProducerAPI`, which the single-node engine and QBFT both implement, so consensus plugs in
without touching execution, storage or RPC.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI
from eth_typing import Address, Hash32

BlockTag = Literal["latest", "earliest", "pending", "finalized", "safe"]
BlockRef = int | Hash32 | BlockTag
"""A block number, a block hash, or a tag as JSON-RPC spells it."""


@dataclass(frozen=True, slots=True)
class TransactionLocation:
    """Where a mined transaction sits, for ``eth_getTransactionByHash`` and receipts."""

    block_hash: Hash32
    block_number: int
    index: int


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log with the positions JSON-RPC reports (``logIndex`` counts within the block)."""

    address: Address
    topics: tuple[Hash32, ...]
    data: bytes
    block_hash: Hash32
    block_number: int
    transaction_hash: Hash32
    transaction_index: int
    log_index: int
    removed: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    """A receipt with everything ``eth_getTransactionReceipt`` needs and py-evm does not keep together."""

    receipt: ReceiptAPI
    transaction: SignedTransactionAPI
    location: TransactionLocation
    gas_used: int
    """Gas of this transaction alone (the receipt holds the cumulative figure)."""
    effective_gas_price: int
    contract_address: Address | None
    logs: tuple[LogRecord, ...]
    status: int


@dataclass(frozen=True, slots=True)
class LogFilter:
    """``eth_getLogs`` criteria, normalised: inclusive block range, OR within a position, AND across."""

    from_block: int
    to_block: int
    addresses: frozenset[Address] = frozenset()
    topics: tuple[frozenset[Hash32] | None, ...] = ()
    block_hash: Hash32 | None = None


@dataclass(frozen=True, slots=True)
class CallRequest:
    """``eth_call`` / ``eth_estimateGas`` input after validation at the RPC boundary."""

    sender: Address | None = None
    to: Address | None = None
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    value: int = 0
    data: bytes = b""
    nonce: int | None = None
    access_list: tuple[tuple[Address, tuple[int, ...]], ...] = field(default_factory=tuple)


class ChainReaderAPI(ABC):
    """Read access to the canonical chain and its state; what the RPC read methods need."""

    @property
    @abstractmethod
    def chain_id(self) -> int: ...

    @property
    @abstractmethod
    def genesis_hash(self) -> Hash32: ...

    @abstractmethod
    def head(self) -> BlockHeaderAPI:
        """Return the latest committed header (with BFT finality also the finalized one)."""

    @abstractmethod
    def finalized_head(self) -> BlockHeaderAPI:
        """Return the newest header that can never be reverted."""

    @abstractmethod
    def resolve_block_number(self, ref: BlockRef) -> int | None:
        """Return the number a reference points to, or ``None`` for an unknown hash or future number."""

    @abstractmethod
    def header_by_number(self, number: int) -> BlockHeaderAPI | None: ...

    @abstractmethod
    def header_by_hash(self, block_hash: Hash32) -> BlockHeaderAPI | None: ...

    @abstractmethod
    def block_by_number(self, number: int) -> BlockAPI | None: ...

    @abstractmethod
    def block_by_hash(self, block_hash: Hash32) -> BlockAPI | None: ...

    @abstractmethod
    def transaction_location(self, tx_hash: Hash32) -> TransactionLocation | None: ...

    @abstractmethod
    def receipt(self, tx_hash: Hash32) -> ReceiptRecord | None: ...

    @abstractmethod
    def logs(self, log_filter: LogFilter) -> list[LogRecord]:
        """Return matching logs; raise ``node.exceptions`` errors for ranges over the configured cap."""

    @abstractmethod
    def balance(self, address: Address, at: BlockRef) -> int: ...

    @abstractmethod
    def nonce(self, address: Address, at: BlockRef) -> int: ...

    @abstractmethod
    def code(self, address: Address, at: BlockRef) -> bytes: ...

    @abstractmethod
    def storage_at(self, address: Address, slot: int, at: BlockRef) -> bytes: ...

    @abstractmethod
    def call(self, request: CallRequest, at: BlockRef) -> bytes:
        """Execute without committing; raise ``ExecutionReverted`` carrying the revert data."""

    @abstractmethod
    def estimate_gas(self, request: CallRequest, at: BlockRef) -> int: ...

    @abstractmethod
    def gas_price(self) -> int:
        """Return the price the node suggests (0 on this permissioned network)."""


class ChainServiceAPI(ChainReaderAPI):
    """What block production and consensus need besides reading: build, validate and commit blocks."""

    @abstractmethod
    def build_candidate(
        self,
        transactions: Sequence[SignedTransactionAPI],
        *,
        timestamp: int,
        coinbase: Address,
        extra_data: bytes,
    ) -> tuple[BlockAPI, tuple[SignedTransactionAPI, ...]]:
        """Build (execute, not persist) a block on the head; return it and the transactions left out.

        Transactions that do not fit the gas limit or fail validation are left out, not raised.
        """

    @abstractmethod
    def validate_candidate(self, block: BlockAPI) -> None:
        """Re-execute a proposed block on its parent and raise ``InvalidBlock`` on any mismatch."""

    @abstractmethod
    def commit_block(self, block: BlockAPI) -> None:
        """Persist ``block`` (already carrying its seals) with receipts and indexes in ONE atomic write.

        After return, a ``kill -9`` cannot lose it; before return, nothing of it is visible.
        """


class TxPoolAPI(ABC):
    """Pending transactions: validation, permissioning, nonce ordering, replacement, limits."""

    @abstractmethod
    def add_raw(self, raw: bytes) -> Hash32:
        """Validate and admit an encoded signed transaction; raise a ``TxRejected`` subclass."""

    @abstractmethod
    def add(self, transaction: SignedTransactionAPI) -> Hash32: ...

    @abstractmethod
    def pending_nonce(self, address: Address) -> int:
        """Return the next nonce counting executable pending transactions (``pending`` tag)."""

    @abstractmethod
    def get(self, tx_hash: Hash32) -> SignedTransactionAPI | None: ...

    @abstractmethod
    def executable(self, limit_gas: int) -> list[SignedTransactionAPI]:
        """Return transactions ready for the next block, nonce-ordered per sender, within ``limit_gas``."""

    @abstractmethod
    def remove_included(self, block: BlockAPI) -> None:
        """Drop what ``block`` included and anything its state made stale."""

    @abstractmethod
    def __len__(self) -> int: ...


class NodeEventsAPI(ABC):
    """Fan-out of committed blocks for WebSocket subscriptions and waiters."""

    @abstractmethod
    def subscribe_heads(self) -> AsyncIterator[BlockHeaderAPI]: ...

    @abstractmethod
    def subscribe_logs(self, log_filter: LogFilter) -> AsyncIterator[LogRecord]: ...


class BlockProducerAPI(ABC):
    """How new blocks come to be: the single-node engine seals alone, QBFT agrees among validators."""

    @abstractmethod
    async def run(self) -> None:
        """Produce blocks until cancelled."""

    @abstractmethod
    def notify_pending(self) -> None:
        """Tell the producer transactions are waiting, so a lone transaction does not wait a period."""

    @abstractmethod
    def validators(self, block_number: int) -> tuple[Address, ...]:
        """Return the validator set that seals the block after ``block_number``."""
