"""``ChainService``: the node's one owner of the py-evm chain and of the store it writes to.

Two py-evm chains share one store. The *working* chain builds, validates and commits blocks under one
lock: its writes are staged in memory until :meth:`ChainService.commit_block` makes a block durable in
one LMDB transaction (see :mod:`node.storage.lmdb_store`); a block this node has already executed
(built or validated) is persisted without running it again. The *reader* chain sees only what is
committed and takes no chain lock, so RPC reads and the pool's nonce checks answer while a block of
hundreds of milliseconds is being executed, instead of queueing behind it, and never see a block that
is not yet durable. Only the small decoded-block caches (:class:`~node.recent_cache.RecentCache`) lock.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

from eth.abc import BlockAPI, BlockHeaderAPI, ReceiptAPI, SignedTransactionAPI, StateAPI
from eth.chains.base import Chain
from eth.constants import GAS_TX
from eth.db.atomic import AtomicDB
from eth.exceptions import (
    BlockNotFound,
    CanonicalHeadNotFound,
    HeaderNotFound,
    Revert,
    TransactionNotFound,
)
from eth.vm.spoof import SpoofTransaction
from eth_bloom.bloom import BloomFilter
from eth_typing import Address, BlockNumber, Hash32
from eth_utils.exceptions import ValidationError

from node.abc import (
    BlockRef,
    CallRequest,
    ChainServiceAPI,
    LogFilter,
    LogRecord,
    ReceiptRecord,
    TransactionLocation,
)
from node.bft.extra_data import BFT_MIX_HASH, genesis_extra_data
from node.bft.seal_consensus import for_epoch, validators_after
from node.exceptions import (
    ConfigError,
    ExecutionFailed,
    ExecutionReverted,
    InvalidBlock,
    LogRangeTooLarge,
    NodeError,
    UnknownBlock,
)
from node.execution.chain import BftChain
from node.execution.receipts import block_receipt_records, log_matches
from node.execution.vm import BFT_DIFFICULTY, BFT_NONCE, BftPragueVM
from node.genesis import GenesisConfig
from node.recent_cache import RecentCache
from node.storage.lmdb_store import CommittedChainView, LmdbStore, StagedChainDatabase
from node.voting import Tally, expected_validators, tally_after

DEFAULT_LOG_RANGE_CAP = 10_000
RECENT_BLOCKS_CACHED = 8
"""Blocks whose receipt records stay decoded: a receipt needs its whole block (cumulative gas, log
positions), and clients ask for receipts of recent blocks over and over."""
DEFAULT_CALL_GAS = 50_000_000
NODE_NAMESPACE = "node"
GENESIS_KEY = b"genesis-hash"

CommitListener = Callable[[BlockAPI, tuple[ReceiptAPI, ...]], None]


def genesis_params(genesis: GenesisConfig) -> dict[str, Any]:
    """Return the genesis header fields (state root is computed from the allocation)."""
    return {
        "difficulty": BFT_DIFFICULTY,
        "nonce": BFT_NONCE,
        "mix_hash": BFT_MIX_HASH,
        "gas_limit": genesis.gas_limit,
        "timestamp": genesis.timestamp,
        "extra_data": genesis_extra_data(genesis.validators, genesis.vanity),
        "base_fee_per_gas": 0,
        "block_number": 0,
    }


def genesis_header(genesis: GenesisConfig) -> BlockHeaderAPI:
    """Return the genesis header a genesis file defines (computed in memory, nothing persisted)."""
    chain_class = BftChain.configure(chain_id=genesis.chain_id)
    chain = chain_class.from_genesis(AtomicDB(), genesis_params(genesis), cast(Any, genesis.genesis_state()))
    return chain.get_canonical_block_header_by_number(BlockNumber(0))


class ChainService(ChainServiceAPI):
    """py-evm chain on LMDB, built from a genesis file; see the module docstring."""

    def __init__(
        self,
        store: LmdbStore,
        genesis: GenesisConfig,
        *,
        log_range_cap: int = DEFAULT_LOG_RANGE_CAP,
    ) -> None:
        self._store = store
        self._genesis = genesis
        self._log_range_cap = log_range_cap
        self._lock = threading.RLock()
        self._executed: set[Hash32] = set()
        self._listeners: list[CommitListener] = []
        self._records: RecentCache[Hash32, list[ReceiptRecord]] = RecentCache(RECENT_BLOCKS_CACHED)
        self._blocks: RecentCache[Hash32, BlockAPI] = RecentCache(RECENT_BLOCKS_CACHED)
        base_db = AtomicDB(StagedChainDatabase(store))
        vm_class = BftPragueVM.configure(consensus_class=for_epoch(genesis.bft.epoch_length))
        chain_class = BftChain.configure(
            chain_id=genesis.chain_id, vm_configuration=((BlockNumber(0), vm_class),)
        )
        chaindb = chain_class.get_chaindb_class()(base_db)
        try:
            chaindb.get_canonical_head()
            chain: Chain = chain_class(base_db)
        except CanonicalHeadNotFound:
            chain = cast(
                Chain,
                chain_class.from_genesis(
                    base_db, genesis_params(genesis), cast(Any, genesis.genesis_state())
                ),
            )
            genesis_hash = chain.get_canonical_block_header_by_number(BlockNumber(0)).hash
            store.stage(NODE_NAMESPACE, GENESIS_KEY, genesis_hash)
            store.commit()
        self._chain = chain
        self._reader: Chain = chain_class(cast(Any, CommittedChainView(store)))
        stored = store.get(NODE_NAMESPACE, GENESIS_KEY)
        self._genesis_hash = Hash32(chain.get_canonical_block_header_by_number(BlockNumber(0)).hash)
        if stored != self._genesis_hash or genesis_header(genesis).hash != self._genesis_hash:
            raise ConfigError("the data directory belongs to another genesis; refusing to start")

    # -- identity --------------------------------------------------------------------------------
    @property
    def chain_id(self) -> int:
        return self._genesis.chain_id

    @property
    def genesis_hash(self) -> Hash32:
        return self._genesis_hash

    @property
    def genesis(self) -> GenesisConfig:
        return self._genesis

    @property
    def store(self) -> LmdbStore:
        return self._store

    @property
    def block_gas_limit(self) -> int:
        return self._genesis.gas_limit

    def add_commit_listener(self, listener: CommitListener) -> None:
        """Call ``listener(block, receipts)`` after every durable commit (from the committing thread)."""
        self._listeners.append(listener)

    # -- headers and blocks ----------------------------------------------------------------------
    def head(self) -> BlockHeaderAPI:
        return self._reader.get_canonical_head()

    def finalized_head(self) -> BlockHeaderAPI:
        # BFT finality is immediate: a committed block carries a quorum of seals and is never reverted.
        return self.head()

    def resolve_block_number(self, ref: BlockRef) -> int | None:
        head = self.head().block_number
        if isinstance(ref, bool):
            return None
        if isinstance(ref, int):
            return ref if 0 <= ref <= head else None
        if ref in ("latest", "pending", "finalized", "safe"):
            return int(head)
        if ref == "earliest":
            return 0
        if isinstance(ref, bytes) and len(ref) == 32:
            header = self.header_by_hash(Hash32(ref))
            return None if header is None else int(header.block_number)
        return None

    def header_by_number(self, number: int) -> BlockHeaderAPI | None:
        try:
            return self._reader.get_canonical_block_header_by_number(BlockNumber(number))
        except (HeaderNotFound, ValidationError):
            return None

    def header_by_hash(self, block_hash: Hash32) -> BlockHeaderAPI | None:
        try:
            header = self._reader.get_block_header_by_hash(block_hash)
        except (HeaderNotFound, ValidationError):
            return None
        # Only canonical blocks are visible (a BFT chain never has others, but be exact).
        canonical = self.header_by_number(header.block_number)
        return header if canonical is not None and canonical.hash == header.hash else None

    def _block(self, header: BlockHeaderAPI) -> BlockAPI:
        # Decoding a block re-reads its transaction trie; recent blocks are asked for again and again.
        block_hash = Hash32(header.hash)
        block = self._blocks.get(block_hash)
        if block is None:
            block = self._reader.get_block_by_header(header)
            self._blocks.put(block_hash, block)
        return block

    def block_by_number(self, number: int) -> BlockAPI | None:
        header = self.header_by_number(number)
        return None if header is None else self._block(header)

    def block_by_hash(self, block_hash: Hash32) -> BlockAPI | None:
        header = self.header_by_hash(block_hash)
        return None if header is None else self._block(header)

    def validators_after(self, block_number: int) -> tuple[Address, ...]:
        """Return the validator set that seals block ``block_number + 1``."""
        header = self.header_by_number(block_number)
        if header is None:
            raise UnknownBlock(f"no block #{block_number}")
        return validators_after(header)

    def _header_by_hash_any(self, block_hash: Hash32) -> BlockHeaderAPI:
        return self._chain.get_block_header_by_hash(block_hash)

    def vote_tally_after(self, block_number: int) -> tuple[tuple[Address, ...], Tally]:
        """Return the validator set after block ``block_number`` and the votes still open there."""
        with self._lock:
            header = self.header_by_number(block_number)
            if header is None:
                raise UnknownBlock(f"no block #{block_number}")
            return tally_after(header, self._header_by_hash_any, self._genesis.bft.epoch_length)

    def expected_validators(self, header: BlockHeaderAPI, parent: BlockHeaderAPI) -> tuple[Address, ...]:
        """Return the set ``header`` must list: the parent's with ``header``'s vote counted."""
        with self._lock:
            return expected_validators(
                header, parent, self._header_by_hash_any, self._genesis.bft.epoch_length
            )

    # -- transactions and receipts ---------------------------------------------------------------
    def transaction_location(self, tx_hash: Hash32) -> TransactionLocation | None:
        try:
            number, index = self._reader.chaindb.get_transaction_index(tx_hash)
        except (TransactionNotFound, ValidationError):
            return None
        header = self.header_by_number(number)
        if header is None:
            return None
        return TransactionLocation(block_hash=Hash32(header.hash), block_number=number, index=index)

    def receipt(self, tx_hash: Hash32) -> ReceiptRecord | None:
        location = self.transaction_location(tx_hash)
        if location is None:
            return None
        block = self.block_by_number(location.block_number)
        if block is None:
            return None
        return self.block_receipts(block)[location.index]

    def block_receipts(self, block: BlockAPI) -> list[ReceiptRecord]:
        """Return the receipt records of a committed block (cached for recent blocks)."""
        block_hash = Hash32(block.hash)
        records = self._records.get(block_hash)
        if records is None:
            records = block_receipt_records(block, block.get_receipts(self._reader.chaindb))
            self._records.put(block_hash, records)
        return records

    def logs(self, log_filter: LogFilter) -> list[LogRecord]:
        if log_filter.block_hash is not None:
            header = self.header_by_hash(log_filter.block_hash)
            if header is None:
                raise UnknownBlock("no block with that hash")
            headers = [header]
        else:
            if log_filter.to_block < log_filter.from_block:
                return []
            span = log_filter.to_block - log_filter.from_block + 1
            if span > self._log_range_cap:
                raise LogRangeTooLarge(
                    f"block range of {span} exceeds the limit of {self._log_range_cap} blocks"
                )
            head = int(self.head().block_number)
            headers = [
                h
                for n in range(max(log_filter.from_block, 0), min(log_filter.to_block, head) + 1)
                if (h := self.header_by_number(n)) is not None
            ]
        found: list[LogRecord] = []
        for header in headers:
            if not self._bloom_may_match(header, log_filter):
                continue
            block = self._block(header)
            for record in self.block_receipts(block):
                found.extend(log for log in record.logs if log_matches(log, log_filter))
        return found

    @staticmethod
    def _bloom_may_match(header: BlockHeaderAPI, log_filter: LogFilter) -> bool:
        bloom = BloomFilter(header.bloom)
        if log_filter.addresses and not any(a in bloom for a in log_filter.addresses):
            return False
        return all(wanted is None or any(t in bloom for t in wanted) for wanted in log_filter.topics)

    # -- state -----------------------------------------------------------------------------------
    def _header_at(self, at: BlockRef) -> BlockHeaderAPI:
        number = self.resolve_block_number(at)
        header = None if number is None else self.header_by_number(number)
        if header is None:
            raise UnknownBlock(f"unknown block {at!r}")
        return header

    def _state_at(self, at: BlockRef) -> StateAPI:
        return self._reader.get_vm(self._header_at(at)).state

    def balance(self, address: Address, at: BlockRef) -> int:
        return int(self._state_at(at).get_balance(address))

    def nonce(self, address: Address, at: BlockRef) -> int:
        return int(self._state_at(at).get_nonce(address))

    def code(self, address: Address, at: BlockRef) -> bytes:
        return bytes(self._state_at(at).get_code(address))

    def storage_at(self, address: Address, slot: int, at: BlockRef) -> bytes:
        value = self._state_at(at).get_storage(address, slot)
        return int(value).to_bytes(32, "big")

    def _spoof(self, request: CallRequest, header: BlockHeaderAPI) -> SignedTransactionAPI:
        vm = self._reader.get_vm(header)
        sender = request.sender or Address(b"\x00" * 20)
        nonce = request.nonce if request.nonce is not None else vm.state.get_nonce(sender)
        gas = request.gas if request.gas is not None else min(DEFAULT_CALL_GAS, header.gas_limit)
        unsigned = vm.create_unsigned_transaction(
            nonce=nonce,
            gas_price=request.gas_price or 0,
            gas=gas,
            to=request.to or Address(b""),
            value=request.value,
            data=request.data,
        )
        return cast(SignedTransactionAPI, SpoofTransaction(unsigned, from_=sender))

    def call(self, request: CallRequest, at: BlockRef) -> bytes:
        return self._call_at(request, self._header_at(at))

    def _call_at(self, request: CallRequest, header: BlockHeaderAPI) -> bytes:
        transaction = self._spoof(request, header)
        try:
            with self._reader.get_vm(header).in_costless_state() as state:
                computation = state.costless_execute_transaction(transaction)
        except ValidationError as exc:
            raise ExecutionFailed(str(exc)) from exc
        if computation.is_error:
            error = computation.error
            if isinstance(error, Revert):
                raise ExecutionReverted("execution reverted", data=bytes(computation.output))
            raise ExecutionFailed(f"execution failed: {type(error).__name__}: {error}")
        return bytes(computation.output)

    def estimate_gas(self, request: CallRequest, at: BlockRef) -> int:
        header = self._header_at(at)  # resolved once: a block committed meanwhile must not move it
        self._call_at(request, header)  # surfaces reverts with their data before searching
        probe = dataclasses.replace(request, gas=request.gas or header.gas_limit)
        transaction = self._spoof(probe, header)
        try:
            return int(self._reader.estimate_gas(transaction, header))
        except ValidationError as exc:
            raise ExecutionFailed(str(exc)) from exc
        except Revert as exc:
            data = bytes(exc.args[0]) if exc.args and isinstance(exc.args[0], bytes) else b""
            raise ExecutionReverted("execution reverted", data=data) from exc

    def gas_price(self) -> int:
        return 0

    def state_root(self, at: BlockRef = "latest") -> Hash32:
        return Hash32(self._header_at(at).state_root)

    # -- building and committing -----------------------------------------------------------------
    def build_candidate(
        self,
        transactions: Sequence[SignedTransactionAPI],
        *,
        timestamp: int,
        coinbase: Address,
        extra_data: bytes,
    ) -> tuple[BlockAPI, tuple[SignedTransactionAPI, ...]]:
        with self._lock:
            parent = self._chain.get_canonical_head()
            if timestamp <= parent.timestamp:
                raise InvalidBlock(f"timestamp {timestamp} is not after the head's {parent.timestamp}")
            header = self._chain.create_header_from_parent(
                parent, timestamp=timestamp, coinbase=coinbase, extra_data=extra_data
            )
            vm = cast(BftPragueVM, self._chain.get_vm(header))
            vm.block_preprocessing(vm.get_block())
            included: list[SignedTransactionAPI] = []
            invalid: list[SignedTransactionAPI] = []
            receipts: list[ReceiptAPI] = []
            # A sender whose transaction was skipped (no room, or invalid) has a nonce gap after it:
            # its later transactions wait for a later block instead of failing here.
            waiting: set[Address] = set()
            current = header
            for transaction in transactions:
                if current.gas_limit - current.gas_used < GAS_TX:
                    break  # full: not even the cheapest transaction fits
                sender = Address(transaction.sender)
                if sender in waiting:
                    continue
                # Room is judged by the gas used so far and this transaction's limit, as every
                # Ethereum client does: a block fills up to what its transactions really use.
                if current.gas_used + transaction.gas > current.gas_limit:
                    waiting.add(sender)
                    continue
                try:
                    # Checked before applying: py-evm's apply_transaction locks the journal first,
                    # so a snapshot taken here could not be reverted once it raised. The state rules
                    # (nonce, balance, gas) are what changes between admission and inclusion; the
                    # signature and intrinsic gas were checked when the pool admitted it and are
                    # checked again by apply_transaction (a third check doubled the cost of a block
                    # of transfers).
                    vm.validate_transaction_against_header(current, transaction)
                    vm.state.validate_transaction(transaction)
                except ValidationError:
                    invalid.append(transaction)
                    waiting.add(sender)
                    continue
                receipt, _ = vm.apply_transaction(current, transaction)
                current = vm.add_receipt_to_header(current, receipt)
                included.append(transaction)
                receipts.append(receipt)
            filled = vm.set_block_transactions_and_withdrawals(vm.get_block(), current, included, receipts)
            block = vm.mine_block(vm.block_postprocessing(filled)).block
            self._executed.add(Hash32(block.hash))
            return block, tuple(invalid)

    def validate_candidate(self, block: BlockAPI) -> None:
        with self._lock:
            try:
                parent = self._chain.get_block_header_by_hash(block.header.parent_hash)
            except HeaderNotFound as exc:
                raise InvalidBlock("the parent of the proposed block is unknown") from exc
            try:
                vm_class = self._chain.get_vm_class(block.header)
                vm_class.validate_header(block.header, parent)
                if self.expected_validators(block.header, parent) != validators_after(block.header):
                    raise InvalidBlock("the proposal lists a validator set other than its parent's + vote")
                base = self._chain.create_header_from_parent(parent).copy(gas_used=block.header.gas_used)
                result = self._chain.get_vm(base).import_block(block).block
            except ValidationError as exc:
                raise InvalidBlock(f"invalid proposal: {exc}") from exc
            if result.hash != block.hash or result.header.state_root != block.header.state_root:
                raise InvalidBlock("re-executing the proposal gives a different block")
            self._executed.add(Hash32(block.hash))

    def commit_block(self, block: BlockAPI) -> None:
        with self._lock:
            head = self._chain.get_canonical_head()
            if block.header.parent_hash != head.hash:
                raise InvalidBlock(f"block #{block.number} does not extend the head #{head.block_number}")
            try:
                if block.hash in self._executed and self._chain.chaindb.exists(block.header.state_root):
                    self._chain.validate_block(block)
                    self._chain.get_vm(block.header).validate_block(block)
                    self._chain.chaindb.persist_block(block)
                else:
                    self._chain.import_block(block)
                self._store.commit()
            except (ValidationError, NodeError, HeaderNotFound, BlockNotFound) as exc:
                self._store.discard()
                self._executed.clear()
                if isinstance(exc, InvalidBlock):
                    raise
                raise InvalidBlock(f"block #{block.number} rejected: {exc}") from exc
            self._executed.clear()
            receipts = block.get_receipts(self._chain.chaindb)
        for listener in self._listeners:
            listener(block, receipts)
