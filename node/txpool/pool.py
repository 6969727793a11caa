"""``TxPool``: pending transactions of a zero-price permissioned network.

Admission runs the cheap checks first (size, type, decoding, chain id, signature, permissioning, gas)
and the state checks last (nonce, funds). Each refusal is its own exception class
(:mod:`node.txpool.exceptions`).

Ordering: with every price at zero there is nothing to auction, so the pool is first come, first
served across senders and strictly nonce-ordered within a sender. Transactions whose nonce leaves a
gap wait in the sender's future queue and become executable when the gap closes.

Replacement (same sender and nonce): the new transaction must raise both its fee cap and its
priority fee by ``price_bump_percent`` (10 % by default, as geth and Besu). On a zero-price network
10 % of zero is zero, so a replacement must then be strictly more expensive, unless
``allow_equal_price_replacement`` is configured (useful to let a stuck zero-price transaction be
swapped for another).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

import rlp
from eth.abc import BlockAPI, SignedTransactionAPI
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_keys import exceptions as eth_keys_exceptions
from eth_typing import Address, Hash32
from eth_utils.exceptions import ValidationError

from node.abc import ChainReaderAPI, TxPoolAPI
from node.execution.vm import validate_low_s
from node.permissioning import AccountAllowlist
from node.txpool.exceptions import (
    AlreadyKnown,
    GasLimitExceeded,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidSignature,
    MalformedTransaction,
    NonceTooHigh,
    NonceTooLow,
    PoolFull,
    ReplacementUnderpriced,
    SenderNotAllowed,
    SenderPoolFull,
    TransactionTooLarge,
    Underpriced,
    UnsupportedTransactionType,
    WrongChainId,
)

SUPPORTED_TYPES: frozenset[int | None] = frozenset({None, 1, 2})
"""Legacy (EIP-155), EIP-2930 and EIP-1559. Blob (3) and set-code (4) transactions are refused: the
node has no blob sidecars, and delegation is not something a permit registry needs."""


@dataclass(frozen=True, slots=True)
class PoolLimits:
    max_transaction_bytes: int = 128 * 1024
    max_transactions: int = 8192
    max_per_sender: int = 256
    max_nonce_gap: int = 256
    """How far ahead of the account nonce a transaction may be queued."""
    price_bump_percent: int = 10
    allow_equal_price_replacement: bool = False
    min_gas_price: int = 0


@dataclass(slots=True)
class _Entry:
    transaction: SignedTransactionAPI
    sender: Address
    sequence: int


def _fee_cap(tx: SignedTransactionAPI) -> int:
    return int(tx.max_fee_per_gas)


def _tip(tx: SignedTransactionAPI) -> int:
    return int(tx.max_priority_fee_per_gas)


class TxPool(TxPoolAPI):
    """In-memory pool in front of a :class:`~node.abc.ChainReaderAPI`; thread-safe."""

    def __init__(
        self,
        chain: ChainReaderAPI,
        allowlist: AccountAllowlist,
        *,
        block_gas_limit: int,
        limits: PoolLimits | None = None,
        on_pending: Callable[[], None] | None = None,
    ) -> None:
        self._chain = chain
        self._allowlist = allowlist
        self._block_gas_limit = block_gas_limit
        self.limits = limits or PoolLimits()
        self._on_pending = on_pending
        self._lock = threading.RLock()
        self._by_hash: dict[Hash32, _Entry] = {}
        self._by_sender: dict[Address, dict[int, _Entry]] = {}
        self._sequence = itertools.count()

    def set_on_pending(self, callback: Callable[[], None] | None) -> None:
        self._on_pending = callback

    # -- admission -------------------------------------------------------------------------------
    def add_raw(self, raw: bytes) -> Hash32:
        if len(raw) > self.limits.max_transaction_bytes:
            raise TransactionTooLarge()
        if raw[:1] and raw[0] < 0x7F and raw[0] not in (1, 2):
            raise UnsupportedTransactionType()
        try:
            transaction = PragueTransactionBuilder.decode(raw)
        except (rlp.DecodingError, rlp.DeserializationError, ValidationError, ValueError, TypeError) as exc:
            raise MalformedTransaction() from exc
        return self.add(transaction)

    def _stateless_checks(self, tx: SignedTransactionAPI) -> Address:
        if tx.type_id not in SUPPORTED_TYPES:
            raise UnsupportedTransactionType()
        size = len(tx.encode())
        if size > self.limits.max_transaction_bytes:
            raise TransactionTooLarge()
        if tx.gas > self._block_gas_limit:
            raise GasLimitExceeded()
        if tx.gas < tx.intrinsic_gas:
            raise IntrinsicGasTooLow()
        try:
            tx.validate()
            # py-evm's check_signature_validity recovers the key and verifies against it: two curve
            # operations, and then ``sender`` recovers a third time. The verify only adds the low-s
            # rule (EIP-2), which libsecp256k1 enforces there; checked here directly, one recovery
            # is enough, and its result stays cached on the transaction for block execution.
            validate_low_s(tx)
            sender = Address(tx.sender)
        except (ValidationError, ValueError, eth_keys_exceptions.BadSignature) as exc:
            raise InvalidSignature() from exc
        if tx.chain_id is None:
            raise WrongChainId("only replay-protected (EIP-155) transactions allowed")
        if tx.chain_id != self._chain.chain_id:
            raise WrongChainId()
        if not self._allowlist.is_allowed(sender):
            raise SenderNotAllowed()
        if _fee_cap(tx) < self.limits.min_gas_price:
            raise Underpriced()
        return sender

    def _state_nonce(self, sender: Address) -> int:
        # Always read from the chain: a cached nonce goes stale the moment a block commits on the
        # producer's thread, and a stale "pending" nonce makes clients sign duplicates.
        return self._chain.nonce(sender, "latest")

    def add(self, transaction: SignedTransactionAPI) -> Hash32:
        sender = self._stateless_checks(transaction)
        tx_hash = Hash32(transaction.hash)
        with self._lock:
            if tx_hash in self._by_hash:
                raise AlreadyKnown()
            state_nonce = self._state_nonce(sender)
            if transaction.nonce < state_nonce:
                raise NonceTooLow()
            if transaction.nonce > state_nonce + self.limits.max_nonce_gap:
                raise NonceTooHigh()
            cost = transaction.gas * _fee_cap(transaction) + transaction.value
            balance = self._chain.balance(sender, "latest")
            if cost > balance:
                raise InsufficientFunds()
            queue = self._by_sender.setdefault(sender, {})
            previous = queue.get(transaction.nonce)
            if previous is not None:
                self._check_replacement(previous.transaction, transaction)
            else:
                if len(queue) >= self.limits.max_per_sender:
                    raise SenderPoolFull()
                if len(self._by_hash) >= self.limits.max_transactions:
                    raise PoolFull()
            if previous is not None:
                del self._by_hash[Hash32(previous.transaction.hash)]
            entry = _Entry(transaction, sender, next(self._sequence))
            queue[transaction.nonce] = entry
            self._by_hash[tx_hash] = entry
        if self._on_pending is not None:
            self._on_pending()
        return tx_hash

    def _check_replacement(self, old: SignedTransactionAPI, new: SignedTransactionAPI) -> None:
        bump = 100 + self.limits.price_bump_percent
        for old_value, new_value in ((_fee_cap(old), _fee_cap(new)), (_tip(old), _tip(new))):
            needed = -(-old_value * bump // 100)  # ceiling
            if new_value < needed:
                raise ReplacementUnderpriced()
        equal = _fee_cap(new) == _fee_cap(old) and _tip(new) == _tip(old)
        if equal and not self.limits.allow_equal_price_replacement:
            raise ReplacementUnderpriced()

    # -- queries ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._by_hash)

    def get(self, tx_hash: Hash32) -> SignedTransactionAPI | None:
        entry = self._by_hash.get(tx_hash)
        return None if entry is None else entry.transaction

    def _ready_run(self, sender: Address) -> list[_Entry]:
        queue = self._by_sender.get(sender, {})
        nonce = self._state_nonce(sender)
        run: list[_Entry] = []
        while nonce in queue:
            run.append(queue[nonce])
            nonce += 1
        return run

    def pending_nonce(self, address: Address) -> int:
        with self._lock:
            return self._state_nonce(address) + len(self._ready_run(address))

    def executable(self, limit_gas: int) -> list[SignedTransactionAPI]:
        """Return ready transactions, first come first served, nonce-ordered per sender.

        A sender's run stops at a transaction whose gas limit exceeds ``limit_gas``. The list is not
        cut to one block: limits are far above what transactions use (a permit anchor uses 271k of its
        600k), so a budget of limits would fill blocks half-way; the builder fills by gas used.

        Senders removed from the allow-list since their transactions arrived are skipped: permissioning
        applies when a transaction is included, not only when it is admitted.
        """
        with self._lock:
            runs = {
                sender: run
                for sender in self._by_sender
                if self._allowlist.is_allowed(sender) and (run := self._ready_run(sender))
            }
            heap = [(run[0].sequence, sender, 0) for sender, run in runs.items()]
            heapq.heapify(heap)
            chosen: list[SignedTransactionAPI] = []
            while heap:
                _, sender, position = heapq.heappop(heap)
                entry = runs[sender][position]
                if entry.transaction.gas > limit_gas:
                    continue  # this sender's later nonces cannot go before this one
                chosen.append(entry.transaction)
                if position + 1 < len(runs[sender]):
                    heapq.heappush(heap, (runs[sender][position + 1].sequence, sender, position + 1))
            return chosen

    def pending(self) -> list[SignedTransactionAPI]:
        """Return every pooled transaction (ready and queued), for ``txpool``-style inspection."""
        with self._lock:
            return [e.transaction for e in sorted(self._by_hash.values(), key=lambda e: e.sequence)]

    # -- removal ---------------------------------------------------------------------------------
    def remove_included(self, block: BlockAPI) -> None:
        with self._lock:
            touched: set[Address] = set()
            for transaction in block.transactions:
                entry = self._by_hash.pop(Hash32(transaction.hash), None)
                if entry is None:
                    touched.add(Address(transaction.sender))  # recovers the signature: not ours
                    continue
                touched.add(entry.sender)
                self._by_sender.get(entry.sender, {}).pop(transaction.nonce, None)
            for sender in touched:
                queue = self._by_sender.get(sender)
                if queue is None:
                    continue
                state_nonce = self._state_nonce(sender)
                for nonce in [n for n in queue if n < state_nonce]:
                    stale = queue.pop(nonce)
                    self._by_hash.pop(Hash32(stale.transaction.hash), None)
                if not queue:
                    del self._by_sender[sender]

    def drop(self, transactions: list[SignedTransactionAPI]) -> None:
        """Remove transactions that failed execution (a block builder left them out as invalid)."""
        with self._lock:
            for transaction in transactions:
                entry = self._by_hash.pop(Hash32(transaction.hash), None)
                if entry is None:
                    continue
                queue = self._by_sender.get(entry.sender, {})
                queue.pop(transaction.nonce, None)
                if not queue:
                    self._by_sender.pop(entry.sender, None)
