"""The ``eth_`` namespace: what web3.py and ethers.js v6 use to deploy, transact, wait, call and read.

Handlers only translate: parameters through :mod:`node.rpc.inbound`, work through the node's
``ChainReaderAPI``/``TxPoolAPI``, results through :mod:`node.rpc.outbound`. Where the spec answers an
unknown block or transaction with ``null`` they return ``None``; where it wants an error they raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eth.abc import BlockAPI

from node.abc import BlockRef, ChainReaderAPI, LogFilter, TransactionLocation, TxPoolAPI
from node.rpc import inbound, outbound
from node.rpc.admin_api import NodeAdminAPI
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.errors import InvalidParams, LimitExceeded, MethodNotSupported, ResourceNotFound
from node.rpc.filters import BlockPoll, FilterRegistry, LogPoll
from node.rpc.inbound import FilterSpec, Params
from node.rpc.limits import RpcLimits
from node.rpc.methods.fees import fee_history, suggested_priority_fee

Clock = Callable[[], float]
BLOCKING_METHODS = frozenset(
    {"call", "estimateGas", "getLogs", "getFilterLogs", "getFilterChanges", "feeHistory", "getBlockReceipts"}
)
"""Methods whose cost grows with EVM work or block ranges; offloaded to threads when the node allows it."""


class EthMethods:
    """Handlers of the ``eth_`` namespace bound to one node."""

    def __init__(
        self,
        *,
        reader: ChainReaderAPI,
        pool: TxPoolAPI,
        admin: NodeAdminAPI,
        limits: RpcLimits,
        filters: FilterRegistry,
        clock: Clock = time.monotonic,
    ) -> None:
        self.reader = reader
        self.pool = pool
        self.admin = admin
        self.limits = limits
        self.filters = filters
        self.clock = clock

    def namespace(self) -> Namespace:
        handlers: dict[str, Callable[[Params, CallContext], Any]] = {
            "chainId": self.chain_id,
            "blockNumber": self.block_number,
            "getBlockByNumber": self.get_block_by_number,
            "getBlockByHash": self.get_block_by_hash,
            "getBlockTransactionCountByNumber": self.get_block_transaction_count_by_number,
            "getBlockTransactionCountByHash": self.get_block_transaction_count_by_hash,
            "getTransactionByHash": self.get_transaction_by_hash,
            "getTransactionByBlockNumberAndIndex": self.get_transaction_by_block_number_and_index,
            "getTransactionByBlockHashAndIndex": self.get_transaction_by_block_hash_and_index,
            "getTransactionReceipt": self.get_transaction_receipt,
            "getBlockReceipts": self.get_block_receipts,
            "sendRawTransaction": self.send_raw_transaction,
            "sendTransaction": self.send_transaction,
            "call": self.call,
            "estimateGas": self.estimate_gas,
            "gasPrice": self.gas_price,
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas,
            "feeHistory": self.fee_history,
            "getTransactionCount": self.get_transaction_count,
            "getBalance": self.get_balance,
            "getCode": self.get_code,
            "getStorageAt": self.get_storage_at,
            "getLogs": self.get_logs,
            "syncing": self.syncing,
            "accounts": self.accounts,
            "mining": self.mining,
            "hashrate": self.hashrate,
            "newFilter": self.new_filter,
            "newBlockFilter": self.new_block_filter,
            "getFilterChanges": self.get_filter_changes,
            "getFilterLogs": self.get_filter_logs,
            "uninstallFilter": self.uninstall_filter,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
        }
        return Namespace(
            "eth",
            {name: Method(handler, blocking=name in BLOCKING_METHODS) for name, handler in handlers.items()},
        )

    # --- blocks -----------------------------------------------------------------------------------

    def _block(self, ref: BlockRef) -> BlockAPI | None:
        if isinstance(ref, bytes):
            return self.reader.block_by_hash(ref)
        number = self.reader.resolve_block_number(ref)
        return None if number is None else self.reader.block_by_number(number)

    def _state_at(self, ref: BlockRef) -> int:
        """Return the block number state methods read at; an unknown block is an error, not null."""
        number = self.reader.resolve_block_number(ref)
        if number is None:
            raise ResourceNotFound("header not found", data={"code": "block_not_found"})
        return number

    def chain_id(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        return outbound.hex_quantity(self.reader.chain_id)

    def block_number(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        return outbound.hex_quantity(self.reader.head().block_number)

    def get_block_by_number(self, params: Params, ctx: CallContext) -> outbound.JsonObject | None:
        ref, full = params.take(2)
        block = self._block(inbound.block_number_or_tag(ref, "block"))
        return self._block_result(block, inbound.boolean(full, "fullTransactions"))

    def get_block_by_hash(self, params: Params, ctx: CallContext) -> outbound.JsonObject | None:
        block_hash, full = params.take(2)
        block = self.reader.block_by_hash(inbound.hash32(block_hash, "blockHash"))
        return self._block_result(block, inbound.boolean(full, "fullTransactions"))

    def _block_result(self, block: BlockAPI | None, full: bool) -> outbound.JsonObject | None:
        if block is None:
            return None
        return outbound.block_object(block, full_transactions=full)

    def get_block_transaction_count_by_number(self, params: Params, ctx: CallContext) -> str | None:
        (ref,) = params.take(1)
        block = self._block(inbound.block_number_or_tag(ref, "block"))
        return None if block is None else outbound.hex_quantity(len(block.transactions))

    def get_block_transaction_count_by_hash(self, params: Params, ctx: CallContext) -> str | None:
        (block_hash,) = params.take(1)
        block = self.reader.block_by_hash(inbound.hash32(block_hash, "blockHash"))
        return None if block is None else outbound.hex_quantity(len(block.transactions))

    # --- transactions and receipts ----------------------------------------------------------------

    def get_transaction_by_hash(self, params: Params, ctx: CallContext) -> outbound.JsonObject | None:
        (raw_hash,) = params.take(1)
        tx_hash = inbound.hash32(raw_hash, "transactionHash")
        location = self.reader.transaction_location(tx_hash)
        if location is not None:
            block = self.reader.block_by_hash(location.block_hash)
            if block is not None and location.index < len(block.transactions):
                return self._transaction_in(block, location.index)
        pending = self.pool.get(tx_hash)
        if pending is None:
            return None
        return outbound.transaction_object(pending, location=None, base_fee=None)

    def _transaction_in(self, block: BlockAPI, index: int) -> outbound.JsonObject | None:
        if index >= len(block.transactions):
            return None
        header = block.header
        return outbound.transaction_object(
            block.transactions[index],
            location=TransactionLocation(header.hash, header.block_number, index),
            base_fee=getattr(header, "base_fee_per_gas", None),
        )

    def get_transaction_by_block_number_and_index(
        self, params: Params, ctx: CallContext
    ) -> outbound.JsonObject | None:
        ref, index = params.take(2)
        block = self._block(inbound.block_number_or_tag(ref, "block"))
        position = inbound.quantity(index, "index")
        return None if block is None else self._transaction_in(block, position)

    def get_transaction_by_block_hash_and_index(
        self, params: Params, ctx: CallContext
    ) -> outbound.JsonObject | None:
        block_hash, index = params.take(2)
        block = self.reader.block_by_hash(inbound.hash32(block_hash, "blockHash"))
        position = inbound.quantity(index, "index")
        return None if block is None else self._transaction_in(block, position)

    def get_transaction_receipt(self, params: Params, ctx: CallContext) -> outbound.JsonObject | None:
        (raw_hash,) = params.take(1)
        record = self.reader.receipt(inbound.hash32(raw_hash, "transactionHash"))
        return None if record is None else outbound.receipt_object(record)

    def get_block_receipts(self, params: Params, ctx: CallContext) -> list[outbound.JsonObject] | None:
        (ref,) = params.take(1)
        block = self._block(inbound.block_ref(ref, "block", default=None))
        if block is None:
            return None
        receipts = []
        for tx in block.transactions:
            record = self.reader.receipt(tx.hash)
            if record is None:  # the block was just replaced; report it as unknown rather than partial
                return None
            receipts.append(outbound.receipt_object(record))
        return receipts

    def send_raw_transaction(self, params: Params, ctx: CallContext) -> str:
        (raw,) = params.take(1)
        encoded = inbound.data(raw, "transaction")
        if not encoded:
            raise InvalidParams("transaction: empty transaction data")
        return outbound.hex_data(self.pool.add_raw(encoded))

    def send_transaction(self, params: Params, ctx: CallContext) -> str:
        raise MethodNotSupported(
            "eth_sendTransaction is not supported: this node holds no unlocked accounts; "
            "sign the transaction locally and send it with eth_sendRawTransaction",
            data={"code": "no_unlocked_accounts"},
        )

    # --- execution --------------------------------------------------------------------------------

    def call(self, params: Params, ctx: CallContext) -> str:
        request, ref, overrides = params.take(1, 2)
        call_request = inbound.call_request(request, "transaction")
        at = self._state_at(inbound.block_ref(ref, "block"))
        if overrides is not None:
            raise InvalidParams(
                "state overrides are not supported by this node", data={"code": "no_overrides"}
            )
        return outbound.hex_data(self.reader.call(call_request, at))

    def estimate_gas(self, params: Params, ctx: CallContext) -> str:
        request, ref, overrides = params.take(1, 2)
        call_request = inbound.call_request(request, "transaction")
        at = self._state_at(inbound.block_ref(ref, "block"))
        if overrides is not None:
            raise InvalidParams(
                "state overrides are not supported by this node", data={"code": "no_overrides"}
            )
        return outbound.hex_quantity(self.reader.estimate_gas(call_request, at))

    def gas_price(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        return outbound.hex_quantity(self.reader.gas_price())

    def max_priority_fee_per_gas(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        return outbound.hex_quantity(suggested_priority_fee(self.reader))

    def fee_history(self, params: Params, ctx: CallContext) -> outbound.JsonObject:
        raw_count, raw_newest, raw_percentiles = params.take(2, 1)
        block_count = inbound.count(raw_count, "blockCount")
        newest = self._state_at(inbound.block_number_or_tag(raw_newest, "newestBlock"))
        percentiles = _percentiles(raw_percentiles)
        block_count = min(block_count, self.limits.max_fee_history_blocks, newest + 1)
        return fee_history(self.reader, block_count=block_count, newest=newest, percentiles=percentiles)

    # --- state ------------------------------------------------------------------------------------

    def get_transaction_count(self, params: Params, ctx: CallContext) -> str:
        raw_address, ref = params.take(1, 1)
        account = inbound.address(raw_address, "address")
        block = inbound.block_ref(ref, "block")
        if block == "pending":
            return outbound.hex_quantity(self.pool.pending_nonce(account))
        return outbound.hex_quantity(self.reader.nonce(account, self._state_at(block)))

    def get_balance(self, params: Params, ctx: CallContext) -> str:
        raw_address, ref = params.take(1, 1)
        account = inbound.address(raw_address, "address")
        return outbound.hex_quantity(
            self.reader.balance(account, self._state_at(inbound.block_ref(ref, "block")))
        )

    def get_code(self, params: Params, ctx: CallContext) -> str:
        raw_address, ref = params.take(1, 1)
        account = inbound.address(raw_address, "address")
        return outbound.hex_data(self.reader.code(account, self._state_at(inbound.block_ref(ref, "block"))))

    def get_storage_at(self, params: Params, ctx: CallContext) -> str:
        raw_address, raw_slot, ref = params.take(2, 1)
        account = inbound.address(raw_address, "address")
        slot = inbound.storage_slot(raw_slot, "slot")
        at = self._state_at(inbound.block_ref(ref, "block"))
        return outbound.padded_word(self.reader.storage_at(account, slot, at))

    # --- logs and filters -------------------------------------------------------------------------

    def _log_filter(self, spec: FilterSpec) -> LogFilter | None:
        """Resolve ``spec`` against the head; ``None`` when the range is empty (e.g. starts in the future)."""
        if spec.block_hash is not None:
            header = self.reader.header_by_hash(spec.block_hash)
            if header is None:
                raise ResourceNotFound("unknown block", data={"code": "block_not_found"})
            number = header.block_number
            return LogFilter(number, number, spec.addresses, spec.topics, spec.block_hash)
        head = self.reader.head().block_number
        first = self._range_end(spec.from_block, head)
        last = self._range_end(spec.to_block, head)
        if first > last and not (isinstance(spec.from_block, int) and isinstance(spec.to_block, int)):
            return None
        if first > last:
            raise InvalidParams("invalid block range: fromBlock is after toBlock")
        last = min(last, head)
        if first > head:
            return None
        if last - first + 1 > self.limits.max_log_block_range:
            raise LimitExceeded(
                f"block range too large: at most {self.limits.max_log_block_range} blocks per query",
                data={"code": "block_range_too_large", "limit": self.limits.max_log_block_range},
            )
        return LogFilter(first, last, spec.addresses, spec.topics)

    def _range_end(self, ref: BlockRef, head: int) -> int:
        if isinstance(ref, int):
            return ref
        number = self.reader.resolve_block_number(ref)
        return head if number is None else number

    def _logs(self, log_filter: LogFilter | None) -> list[outbound.JsonObject]:
        if log_filter is None:
            return []
        logs = self.reader.logs(log_filter)
        cap = self.limits.max_logs_per_query
        if len(logs) > cap:
            raise LimitExceeded(
                f"query returned more than {cap} results; narrow the block range or the filter",
                data={"code": "too_many_logs", "limit": cap},
            )
        return [outbound.log_object(log) for log in logs]

    def get_logs(self, params: Params, ctx: CallContext) -> list[outbound.JsonObject]:
        (raw_filter,) = params.take(1)
        return self._logs(self._log_filter(inbound.filter_spec(raw_filter, "filter")))

    def new_filter(self, params: Params, ctx: CallContext) -> str:
        (raw_filter,) = params.take(1)
        spec = inbound.filter_spec(raw_filter, "filter", allow_block_hash=False)
        head = self.reader.head().block_number
        start = self._range_end(spec.from_block, head)
        # Changes start after the head, as geth does; getFilterLogs still reports the whole range.
        poll = LogPoll(spec=spec, next_block=max(start, head + 1), last_poll=self.clock())
        return self.filters.install(poll, now=self.clock())

    def new_block_filter(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        poll = BlockPoll(next_block=self.reader.head().block_number + 1, last_poll=self.clock())
        return self.filters.install(poll, now=self.clock())

    def get_filter_changes(self, params: Params, ctx: CallContext) -> list[Any]:
        (filter_id,) = params.take(1)
        poll = self.filters.touch(_filter_id(filter_id), now=self.clock())
        head = self.reader.head().block_number
        if isinstance(poll, BlockPoll):
            hashes: list[str] = []
            for number in range(poll.next_block, head + 1):
                header = self.reader.header_by_number(number)
                if header is not None:
                    hashes.append(outbound.hex_data(header.hash))
            poll.next_block = max(poll.next_block, head + 1)
            return hashes
        last = min(head, self._range_end(poll.spec.to_block, head))
        if poll.next_block > last:
            return []
        first = poll.next_block
        last = min(last, first + self.limits.max_log_block_range - 1)
        poll.next_block = last + 1
        return self._logs(LogFilter(first, last, poll.spec.addresses, poll.spec.topics))

    def get_filter_logs(self, params: Params, ctx: CallContext) -> list[outbound.JsonObject]:
        (filter_id,) = params.take(1)
        poll = self.filters.touch(_filter_id(filter_id), now=self.clock())
        if not isinstance(poll, LogPoll):
            raise InvalidParams("filter: not a log filter")
        return self._logs(self._log_filter(poll.spec))

    def uninstall_filter(self, params: Params, ctx: CallContext) -> bool:
        (filter_id,) = params.take(1)
        return self.filters.uninstall(_filter_id(filter_id))

    # --- WebSocket subscriptions ------------------------------------------------------------------

    def subscribe(self, params: Params, ctx: CallContext) -> str:
        kind, options = params.take(1, 1)
        if ctx.subscriptions is None:
            raise MethodNotSupported(
                "subscriptions need a WebSocket connection", data={"code": "no_websocket"}
            )
        if not isinstance(kind, str):
            raise InvalidParams("subscription: expected a subscription kind")
        return ctx.subscriptions.subscribe(kind, [] if options is None else [options])

    def unsubscribe(self, params: Params, ctx: CallContext) -> bool:
        (subscription_id,) = params.take(1)
        if ctx.subscriptions is None:
            raise MethodNotSupported(
                "subscriptions need a WebSocket connection", data={"code": "no_websocket"}
            )
        if not isinstance(subscription_id, str):
            raise InvalidParams("subscription: expected a subscription id")
        return ctx.subscriptions.unsubscribe(subscription_id)

    # --- sync state and constants of a non-mining, keyless node ---------------------------------

    def syncing(self, params: Params, ctx: CallContext) -> bool | dict[str, str]:
        params.take(0)
        progress = self.admin.sync_progress()
        if progress is None:
            return False
        return {
            "startingBlock": outbound.hex_quantity(progress.starting_block),
            "currentBlock": outbound.hex_quantity(progress.current_block),
            "highestBlock": outbound.hex_quantity(progress.highest_block),
        }

    def accounts(self, params: Params, ctx: CallContext) -> list[str]:
        params.take(0)
        return []

    def mining(self, params: Params, ctx: CallContext) -> bool:
        params.take(0)
        return False

    def hashrate(self, params: Params, ctx: CallContext) -> str:
        params.take(0)
        return "0x0"


def _filter_id(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) > 66:
        raise InvalidParams("filter id: expected a hex id")
    return value


def _percentiles(value: Any) -> tuple[float, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 100:
        raise InvalidParams("rewardPercentiles: expected a list of at most 100 numbers")
    result: list[float] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or not 0 <= item <= 100:
            raise InvalidParams("rewardPercentiles: each must be a number from 0 to 100")
        if result and item < result[-1]:
            raise InvalidParams("rewardPercentiles: must be in ascending order")
        result.append(float(item))
    return tuple(result)
