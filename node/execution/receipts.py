"""Turn py-evm receipts into what JSON-RPC reports: per-transaction gas, prices, logs with positions.

py-evm keeps cumulative gas and bare logs; the per-transaction figures are derived here from the
block, purely, so the RPC layer and the event fan-out compute them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth._utils.address import generate_contract_address
from eth.abc import BlockAPI, ReceiptAPI, SignedTransactionAPI
from eth_typing import Address, Hash32

from node.abc import LogFilter, LogRecord, ReceiptRecord, TransactionLocation


def effective_gas_price(transaction: SignedTransactionAPI, base_fee: int) -> int:
    """Return what the sender paid per gas (EIP-1559: ``min(max_fee, base_fee + priority)``)."""
    max_fee = getattr(transaction, "max_fee_per_gas", None)
    if max_fee is None:
        return int(transaction.gas_price)
    priority = int(transaction.max_priority_fee_per_gas)
    return min(int(max_fee), base_fee + priority)


def receipt_status(receipt: ReceiptAPI) -> int:
    """Return 1 for success, 0 for failure (Byzantium encodes it in the state-root slot)."""
    return 1 if receipt.state_root == b"\x01" else 0


def _topic(value: int) -> Hash32:
    return Hash32(value.to_bytes(32, "big"))


def block_receipt_records(block: BlockAPI, receipts: Sequence[ReceiptAPI]) -> list[ReceiptRecord]:
    """Return one :class:`ReceiptRecord` per transaction of ``block``, in order."""
    records: list[ReceiptRecord] = []
    base_fee = int(getattr(block.header, "base_fee_per_gas", 0) or 0)
    block_hash = Hash32(block.hash)
    previous_cumulative = 0
    log_index = 0
    for index, (transaction, receipt) in enumerate(zip(block.transactions, receipts, strict=True)):
        tx_hash = Hash32(transaction.hash)
        logs: list[LogRecord] = []
        for log in receipt.logs:
            logs.append(
                LogRecord(
                    address=Address(log.address),
                    topics=tuple(_topic(t) for t in log.topics),
                    data=bytes(log.data),
                    block_hash=block_hash,
                    block_number=block.number,
                    transaction_hash=tx_hash,
                    transaction_index=index,
                    log_index=log_index,
                )
            )
            log_index += 1
        contract_address = (
            Address(generate_contract_address(transaction.sender, transaction.nonce))
            if transaction.to == b""
            else None
        )
        records.append(
            ReceiptRecord(
                receipt=receipt,
                transaction=transaction,
                location=TransactionLocation(block_hash=block_hash, block_number=block.number, index=index),
                gas_used=receipt.gas_used - previous_cumulative,
                effective_gas_price=effective_gas_price(transaction, base_fee),
                contract_address=contract_address,
                logs=tuple(logs),
                status=receipt_status(receipt),
            )
        )
        previous_cumulative = receipt.gas_used
    return records


def log_matches(log: LogRecord, log_filter: LogFilter) -> bool:
    """Whether ``log`` passes ``log_filter``'s address and topic criteria (not its block range)."""
    if log_filter.addresses and log.address not in log_filter.addresses:
        return False
    if len(log_filter.topics) > len(log.topics):
        return False
    return all(
        wanted is None or topic in wanted
        for wanted, topic in zip(log_filter.topics, log.topics, strict=False)
    )
