"""The node's interfaces, in one place (as py-evm keeps ``eth/abc.py``).

Everything else in ``node/`` is typed against these: the JSON-RPC layer only sees
:class:`ChainReaderAPI`, :class:`TxPoolAPI` and :class:`NodeEventsAPI`; a consensus engine only sees
:class:`ChainServiceAPI` and :class:`TxPoolAPI`. Block production goes through
:class:`BlockProducerAPI`, which the single-node engine and QBFT both implement, so consensus plugs in
without touching execution, storage or RPC.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
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
        """Build (execute, not persist) a block on the head; return it and the invalid transactions.

        ``transactions`` are candidates in inclusion order, possibly more than fit: the block takes
        them while its gas used leaves room for each one's gas limit. Those that fail validation are
        returned (the pool may drop them); those with no room, and every later transaction of a sender
        skipped this way, are neither included nor returned: they wait for a later block.
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
        """Return the ready transactions in inclusion order, nonce-ordered per sender.

        A sender's run stops at a transaction whose own gas limit exceeds ``limit_gas`` (it cannot go
        into any block). The list is not cut to one block's gas: the builder fills by gas used.
        """

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


class MessageKind(IntEnum):
    """What a node-to-node message carries; one byte on the wire, so values never change meaning."""

    CONSENSUS = 1
    """QBFT messages (proposal, prepare, commit, round change); a proposal carries a whole block."""
    TRANSACTIONS = 2
    """Gossip of pending signed transactions."""
    BLOCK_SYNC = 3
    """Block sync requests and their responses (see :meth:`TransportAPI.request`)."""
    STATUS = 4
    """A peer's head and chain status, for choosing a sync target."""
    PING = 5
    """Transport keepalive; answered by the transport, never delivered upward."""
    PONG = 6
    """Answer to :attr:`PING`; never delivered upward."""


PeerDirection = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """One live peer connection, as ``admin_peers`` and ``net_peerCount`` report it."""

    node_id: str
    """The peer's Ed25519 public key, lowercase hex (64 characters)."""
    address: str
    """``host:port`` of the remote end of the connection."""
    direction: PeerDirection
    connected_since: float
    """Unix time at which the authenticated session started."""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message an authenticated, allow-listed peer sent us."""

    sender: str
    kind: MessageKind
    payload: bytes


RequestHandler = Callable[[str, bytes], Awaitable[bytes]]
"""Answers a request: called with the requesting peer's id and the payload, returns the response payload."""


class TransportAPI(ABC):
    """Authenticated, allow-listed message delivery between nodes; what consensus and sync see of the network.

    ``send`` and ``broadcast`` only enqueue and never block, so a pure state machine's output can be
    handed over from anywhere; delivery is best effort (a peer that disconnects loses what was queued),
    which QBFT tolerates through round changes and sync.
    """

    @property
    @abstractmethod
    def node_id(self) -> str:
        """Return this node's id (its public key, lowercase hex)."""

    @abstractmethod
    async def start(self) -> None:
        """Start listening and dialling the configured peers."""

    @abstractmethod
    async def stop(self) -> None:
        """Close every connection and stop all background work; idempotent."""

    @abstractmethod
    def broadcast(self, kind: MessageKind, payload: bytes) -> int:
        """Queue ``payload`` to every connected peer; return how many peers it was queued to."""

    @abstractmethod
    def send(self, peer_id: str, kind: MessageKind, payload: bytes) -> None:
        """Queue ``payload`` to one peer; raise ``PeerNotConnected`` if there is no live connection."""

    @abstractmethod
    def inbox(self, kinds: frozenset[MessageKind] | None = None) -> AsyncIterator[InboundMessage]:
        """Return a subscription (registered at once) to incoming messages of ``kinds`` (all if ``None``)."""

    @abstractmethod
    def set_request_handler(self, kind: MessageKind, handler: RequestHandler) -> None:
        """Answer requests of ``kind`` with ``handler`` (one handler per kind; a new one replaces it)."""

    @abstractmethod
    async def request(self, peer_id: str, kind: MessageKind, payload: bytes, timeout: float) -> bytes:
        """Send a request and return the response payload; raise ``RequestTimeout`` or ``RequestFailed``."""

    @abstractmethod
    def peers(self) -> list[PeerInfo]:
        """Return the live peer connections, sorted by node id."""

    @abstractmethod
    def peer_count(self) -> int:
        """Return the number of live peer connections."""

    @abstractmethod
    def report_misbehaviour(self, peer_id: str, reason: str) -> None:
        """Record a protocol violation an upper layer detected: the peer is disconnected and scored."""
