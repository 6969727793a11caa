"""A small but real node behind the abc interfaces, for testing the RPC layer before ``node/service.py``.

Execution is py-evm's Prague VM on an in-memory ``AtomicDB`` (the same engine the node uses); the pool
really validates chain id, signature, nonce and the account allow-list; blocks are really mined and
their receipts and logs indexed; events really fan out to subscribers. Only persistence, p2p and
consensus are absent, which the RPC layer never sees.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

import rlp
from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.constants import BLANK_ROOT_HASH, ZERO_ADDRESS
from eth.db.atomic import AtomicDB
from eth.exceptions import HeaderNotFound, Revert, TransactionNotFound, VMError
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_typing import Address, BlockNumber, Hash32
from eth_utils.crypto import keccak
from eth_utils.currency import to_wei
from eth_utils.exceptions import ValidationError

from node.abc import (
    BlockRef,
    CallRequest,
    ChainReaderAPI,
    LogFilter,
    LogRecord,
    NodeEventsAPI,
    ReceiptRecord,
    TransactionLocation,
    TxPoolAPI,
)
from node.exceptions import ExecutionReverted, NodeError, TxRejected
from node.rpc.admin_api import NodeAdminAPI, NodeInfo, PeerView, SyncProgress
from node.rpc.outbound import effective_gas_price

CHAIN_ID = 1337_2026
GAS_LIMIT = 30_000_000


class ReferenceChain(MiningChain):
    vm_configuration = ((BlockNumber(0), PragueVM),)
    chain_id = CHAIN_ID


def _contract_address(sender: bytes, nonce: int) -> Address:
    return Address(keccak(rlp.encode([sender, nonce]))[12:])


def log_matches(log: LogRecord, log_filter: LogFilter) -> bool:
    if log_filter.addresses and log.address not in log_filter.addresses:
        return False
    for position, allowed in enumerate(log_filter.topics):
        if allowed is not None and (position >= len(log.topics) or log.topics[position] not in allowed):
            return False
    return True


_END = object()


class _Stream:
    """One subscriber's queue; registered at creation so nothing committed afterwards is missed."""

    def __init__(self, hub: list[_Stream]) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self._hub = hub
        hub.append(self)

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> Any:
        item = await self.queue.get()
        if item is _END:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        if self in self._hub:
            self._hub.remove(self)


class ReferenceNode(ChainReaderAPI, TxPoolAPI, NodeEventsAPI, NodeAdminAPI):
    """Chain reader, pool, events and admin of one in-memory node; ``produce_block`` commits a block."""

    def __init__(
        self,
        funded_keys: Sequence[PrivateKey],
        *,
        allowed: int | None = None,
        auto_produce: bool = False,
    ) -> None:
        genesis_state = {
            key.public_key.to_canonical_address(): {
                "balance": to_wei(1_000_000, "ether"),
                "nonce": 0,
                "code": b"",
                "storage": {},
            }
            for key in funded_keys
        }
        genesis_params = {
            "coinbase": ZERO_ADDRESS,
            "difficulty": 0,
            "extra_data": b"",
            "gas_limit": GAS_LIMIT,
            "mix_hash": b"\0" * 32,
            "nonce": b"\0" * 8,
            "receipt_root": BLANK_ROOT_HASH,
            "timestamp": int(time.time()),
            "transaction_root": BLANK_ROOT_HASH,
            "base_fee_per_gas": 0,
        }
        self.chain = cast(
            ReferenceChain,
            ReferenceChain.from_genesis(AtomicDB(), cast(Any, genesis_params), cast(Any, genesis_state)),
        )
        self._pending: dict[Hash32, SignedTransactionAPI] = {}
        # The first ``allowed`` funded accounts may send transactions (all by default).
        self._allowlist: list[Address] = [
            Address(key.public_key.to_canonical_address()) for key in funded_keys[:allowed]
        ]
        self.auto_produce = auto_produce
        self._production_scheduled = False
        self._receipts: dict[Hash32, ReceiptRecord] = {}
        self._block_logs: dict[int, tuple[LogRecord, ...]] = {0: ()}
        self._head_streams: list[_Stream] = []
        self._log_streams: list[_Stream] = []
        self._log_filters: dict[int, LogFilter] = {}
        self._events_loop: asyncio.AbstractEventLoop | None = None
        self.syncing: SyncProgress | None = None
        """Set by tests to play a node that is catching up."""
        self.node_key = PrivateKey(keccak(b"reference node identity"))

    # --- ChainReaderAPI -------------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    @property
    def genesis_hash(self) -> Hash32:
        return self.chain.get_canonical_block_header_by_number(BlockNumber(0)).hash

    def head(self) -> BlockHeaderAPI:
        return self.chain.get_canonical_head()

    def finalized_head(self) -> BlockHeaderAPI:
        return self.head()

    def resolve_block_number(self, ref: BlockRef) -> int | None:
        head = self.head().block_number
        if ref in ("latest", "pending", "finalized", "safe"):
            return head
        if ref == "earliest":
            return 0
        if isinstance(ref, int):
            return ref if ref <= head else None
        header = self.header_by_hash(cast(Hash32, ref))
        return None if header is None else header.block_number

    def header_by_number(self, number: int) -> BlockHeaderAPI | None:
        try:
            return self.chain.get_canonical_block_header_by_number(BlockNumber(number))
        except HeaderNotFound:
            return None

    def header_by_hash(self, block_hash: Hash32) -> BlockHeaderAPI | None:
        try:
            header = self.chain.get_block_header_by_hash(block_hash)
        except HeaderNotFound:
            return None
        canonical = self.header_by_number(header.block_number)
        return header if canonical is not None and canonical.hash == header.hash else None

    def block_by_number(self, number: int) -> BlockAPI | None:
        header = self.header_by_number(number)
        return None if header is None else self.chain.get_block_by_header(header)

    def block_by_hash(self, block_hash: Hash32) -> BlockAPI | None:
        header = self.header_by_hash(block_hash)
        return None if header is None else self.chain.get_block_by_header(header)

    def transaction_location(self, tx_hash: Hash32) -> TransactionLocation | None:
        record = self._receipts.get(tx_hash)
        return None if record is None else record.location

    def receipt(self, tx_hash: Hash32) -> ReceiptRecord | None:
        return self._receipts.get(tx_hash)

    def logs(self, log_filter: LogFilter) -> list[LogRecord]:
        found: list[LogRecord] = []
        for number in range(log_filter.from_block, log_filter.to_block + 1):
            for log in self._block_logs.get(number, ()):
                if log_matches(log, log_filter):
                    found.append(log)
        return found

    def _header_at(self, at: BlockRef) -> BlockHeaderAPI:
        number = self.resolve_block_number(at)
        header = None if number is None else self.header_by_number(number)
        if header is None:
            raise NodeError("header not found")
        return header

    def _state(self, at: BlockRef) -> Any:
        return self.chain.get_vm(self._header_at(at)).state

    def balance(self, address: Address, at: BlockRef) -> int:
        return int(self._state(at).get_balance(address))

    def nonce(self, address: Address, at: BlockRef) -> int:
        return int(self._state(at).get_nonce(address))

    def code(self, address: Address, at: BlockRef) -> bytes:
        return bytes(self._state(at).get_code(address))

    def storage_at(self, address: Address, slot: int, at: BlockRef) -> bytes:
        return int(self._state(at).get_storage(address, slot)).to_bytes(32, "big")

    def _spoof(self, request: CallRequest, header: BlockHeaderAPI) -> SpoofTransaction:
        vm = self.chain.get_vm(header)
        sender = request.sender or ZERO_ADDRESS
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender),
            gas_price=0,
            gas=request.gas or header.gas_limit,
            to=request.to or Address(b""),
            value=request.value,
            data=request.data,
        )
        return SpoofTransaction(unsigned, from_=sender)

    def call(self, request: CallRequest, at: BlockRef) -> bytes:
        header = self._header_at(at)
        try:
            return bytes(self.chain.get_transaction_result(self._spoof(request, header), header))  # type: ignore[arg-type]
        except Revert as exc:
            raise ExecutionReverted(
                "execution reverted", data=bytes(exc.args[0]) if exc.args else b""
            ) from exc
        except VMError as exc:
            raise NodeError(f"execution failed: {exc}", code="execution_failed") from exc

    def estimate_gas(self, request: CallRequest, at: BlockRef) -> int:
        header = self._header_at(at)
        try:
            return int(self.chain.estimate_gas(self._spoof(request, header), header))  # type: ignore[arg-type]
        except Revert as exc:
            raise ExecutionReverted(
                "execution reverted", data=bytes(exc.args[0]) if exc.args else b""
            ) from exc
        except VMError as exc:
            raise NodeError(f"execution failed: {exc}", code="execution_failed") from exc

    def gas_price(self) -> int:
        return 0

    # --- TxPoolAPI ------------------------------------------------------------------------------------

    def add_raw(self, raw: bytes) -> Hash32:
        builder = self.chain.get_vm().get_transaction_builder()
        try:
            tx = builder.decode(raw)
        except (rlp.DecodingError, rlp.DeserializationError, ValidationError, ValueError) as exc:
            raise TxRejected("invalid transaction encoding", code="invalid_encoding") from exc
        return self.add(tx)

    def add(self, transaction: SignedTransactionAPI) -> Hash32:
        tx_chain_id = getattr(transaction, "chain_id", None)
        if tx_chain_id != CHAIN_ID:
            raise TxRejected("invalid chain id", code="invalid_chain_id")
        try:
            transaction.check_signature_validity()
            sender = transaction.sender
        except (ValidationError, ValueError) as exc:
            raise TxRejected("invalid signature", code="invalid_signature") from exc
        if sender not in self._allowlist:
            raise TxRejected("sender not allowed", code="sender_not_allowed")
        if transaction.nonce < self.nonce(sender, "latest"):
            raise TxRejected("nonce too low", code="nonce_too_low")
        self._pending[transaction.hash] = transaction
        if self.auto_produce and not self._production_scheduled:
            # Like a real producer: answer first, seal a moment later, in the event loop.
            asyncio.get_running_loop().call_later(0.02, self._produce_scheduled)
            self._production_scheduled = True
        return Hash32(transaction.hash)

    def _produce_scheduled(self) -> None:
        self._production_scheduled = False
        self.produce_block()

    def pending_nonce(self, address: Address) -> int:
        nonce = self.nonce(address, "latest")
        taken = {tx.nonce for tx in self._pending.values() if tx.sender == address}
        while nonce in taken:
            nonce += 1
        return nonce

    def get(self, tx_hash: Hash32) -> SignedTransactionAPI | None:
        return self._pending.get(tx_hash)

    def executable(self, limit_gas: int) -> list[SignedTransactionAPI]:
        ordered = sorted(self._pending.values(), key=lambda tx: (tx.sender, tx.nonce))
        chosen: list[SignedTransactionAPI] = []
        next_nonce: dict[bytes, int] = {}
        for tx in ordered:
            expected = next_nonce.get(tx.sender, self.nonce(tx.sender, "latest"))
            if tx.nonce == expected and tx.gas <= limit_gas:
                chosen.append(tx)
                limit_gas -= tx.gas
                next_nonce[tx.sender] = expected + 1
        return chosen

    def remove_included(self, block: BlockAPI) -> None:
        for tx in block.transactions:
            self._pending.pop(tx.hash, None)
        for tx_hash, tx in list(self._pending.items()):
            if tx.nonce < self.nonce(tx.sender, "latest"):
                del self._pending[tx_hash]

    def __len__(self) -> int:
        return len(self._pending)

    # --- block production ---------------------------------------------------------------------------

    def produce_block(self) -> BlockAPI:
        """Apply the executable pending transactions, mine, index and publish one block."""
        for tx in self.executable(GAS_LIMIT):
            try:
                self.chain.apply_transaction(tx)
            except (ValidationError, VMError):
                self._pending.pop(tx.hash, None)
        block: BlockAPI = self.chain.mine_block(mix_hash=os.urandom(32), blob_gas_used=0)
        self._index(block)
        self.remove_included(block)
        for stream in list(self._head_streams):
            stream.queue.put_nowait(block.header)
        for stream in list(self._log_streams):
            log_filter = self._log_filters[id(stream)]
            for log in self._block_logs[block.number]:
                if log_matches(log, log_filter):
                    stream.queue.put_nowait(log)
        return block

    def _index(self, block: BlockAPI) -> None:
        header = block.header
        receipts = block.get_receipts(self.chain.chaindb)
        logs: list[LogRecord] = []
        previous_cumulative = 0
        for index, (tx, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
            tx_logs: list[LogRecord] = []
            for entry in receipt.logs:
                record = LogRecord(
                    address=Address(entry.address),
                    topics=tuple(Hash32(t.to_bytes(32, "big")) for t in entry.topics),
                    data=bytes(entry.data),
                    block_hash=Hash32(header.hash),
                    block_number=header.block_number,
                    transaction_hash=Hash32(tx.hash),
                    transaction_index=index,
                    log_index=len(logs) + len(tx_logs),
                )
                tx_logs.append(record)
            logs.extend(tx_logs)
            self._receipts[Hash32(tx.hash)] = ReceiptRecord(
                receipt=receipt,
                transaction=tx,
                location=TransactionLocation(Hash32(header.hash), header.block_number, index),
                gas_used=receipt.gas_used - previous_cumulative,
                effective_gas_price=effective_gas_price(tx, header.base_fee_per_gas),
                contract_address=_contract_address(tx.sender, tx.nonce) if not tx.to else None,
                logs=tuple(tx_logs),
                status=1 if receipt.state_root == b"\x01" else 0,
            )
            previous_cumulative = receipt.gas_used
        self._block_logs[header.block_number] = tuple(logs)

    # --- NodeEventsAPI ------------------------------------------------------------------------------

    def subscribe_heads(self) -> AsyncIterator[BlockHeaderAPI]:
        self._events_loop = asyncio.get_running_loop()
        return _Stream(self._head_streams)

    def subscribe_logs(self, log_filter: LogFilter) -> AsyncIterator[LogRecord]:
        stream = _Stream(self._log_streams)
        self._log_filters[id(stream)] = log_filter
        return stream

    def end_subscriptions_threadsafe(self) -> None:
        """End every subscription from the node's side, as the node does to a subscriber that lags."""
        loop = self._events_loop
        if loop is None:
            raise RuntimeError("no subscription was ever made")
        for stream in [*self._head_streams, *self._log_streams]:
            loop.call_soon_threadsafe(stream.queue.put_nowait, _END)

    # --- NodeAdminAPI -------------------------------------------------------------------------------

    def node_info(self) -> NodeInfo:
        return NodeInfo(
            node_id=self.node_key.public_key.to_bytes().hex(),
            name="permitchain-reference/v0",
            host="127.0.0.1",
            p2p_port=30303,
            discovery_port=30303,
            network_id=CHAIN_ID,
            genesis_config={"chainId": CHAIN_ID, "pragueTime": 0},
        )

    def peers(self) -> Sequence[PeerView]:
        return ()

    def sync_progress(self) -> SyncProgress | None:
        return self.syncing

    def accounts_allowlist(self) -> tuple[Address, ...]:
        return tuple(self._allowlist)

    def add_accounts_to_allowlist(self, accounts: Sequence[Address]) -> None:
        present = [a for a in accounts if a in self._allowlist]
        if present:
            raise NodeError("account already on the allow-list", code="allowlist_existing_entry")
        self._allowlist.extend(accounts)

    def remove_accounts_from_allowlist(self, accounts: Sequence[Address]) -> None:
        absent = [a for a in accounts if a not in self._allowlist]
        if absent:
            raise NodeError("account not on the allow-list", code="allowlist_absent_entry")
        for account in accounts:
            self._allowlist.remove(account)


__all__ = ["CHAIN_ID", "ReferenceNode", "TransactionNotFound"]
