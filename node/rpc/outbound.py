"""Format the node's values as JSON-RPC results (eth-tester's ``outbound``): hex quantities, hex data.

Field names and presence follow the execution-apis spec, so web3.py and ethers.js parse them without
middleware; fork-dependent header fields appear only when the header has them.
"""

from __future__ import annotations

from typing import Any

import rlp
from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI

from node.abc import LogRecord, ReceiptRecord, TransactionLocation

JsonObject = dict[str, Any]


def hex_quantity(value: int) -> str:
    return hex(value)


def hex_data(value: bytes) -> str:
    return "0x" + value.hex()


def hex_address(value: bytes) -> str:
    return "0x" + value.hex()


def padded_word(value: bytes) -> str:
    """Return 32-byte left-padded hex, the shape of ``eth_getStorageAt`` results."""
    return "0x" + value.rjust(32, b"\0")[-32:].hex()


def header_object(header: BlockHeaderAPI) -> JsonObject:
    """Return the fields every block object and every ``newHeads`` notification carries."""
    result: JsonObject = {
        "number": hex_quantity(header.block_number),
        "hash": hex_data(header.hash),
        "parentHash": hex_data(header.parent_hash),
        "nonce": hex_data(header.nonce),
        "mixHash": hex_data(header.mix_hash),
        "sha3Uncles": hex_data(header.uncles_hash),
        "logsBloom": hex_data(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": hex_data(header.transaction_root),
        "stateRoot": hex_data(header.state_root),
        "receiptsRoot": hex_data(header.receipt_root),
        "miner": hex_address(header.coinbase),
        "difficulty": hex_quantity(header.difficulty),
        "extraData": hex_data(header.extra_data),
        "gasLimit": hex_quantity(header.gas_limit),
        "gasUsed": hex_quantity(header.gas_used),
        "timestamp": hex_quantity(header.timestamp),
    }
    optional_quantities = {
        "baseFeePerGas": "base_fee_per_gas",
        "blobGasUsed": "blob_gas_used",
        "excessBlobGas": "excess_blob_gas",
    }
    for key, attribute in optional_quantities.items():
        value = getattr(header, attribute, None)
        if value is not None:
            result[key] = hex_quantity(value)
    optional_hashes = {
        "withdrawalsRoot": "withdrawals_root",
        "parentBeaconBlockRoot": "parent_beacon_block_root",
        "requestsHash": "requests_hash",
    }
    for key, attribute in optional_hashes.items():
        value = getattr(header, attribute, None)
        if value is not None:
            result[key] = hex_data(value)
    return result


def block_object(block: BlockAPI, *, full_transactions: bool) -> JsonObject:
    """Return a block object. ``totalDifficulty`` is left out, as execution-apis does since the merge:
    clients no longer read it, and the chain reader does not track it, so any figure would be made up."""
    header = block.header
    result = header_object(header)
    result["size"] = hex_quantity(len(rlp.encode(block)))
    result["uncles"] = [hex_data(uncle.hash) for uncle in block.uncles]
    if full_transactions:
        base_fee = getattr(header, "base_fee_per_gas", None)
        result["transactions"] = [
            transaction_object(
                tx,
                location=TransactionLocation(header.hash, header.block_number, index),
                base_fee=base_fee,
            )
            for index, tx in enumerate(block.transactions)
        ]
    else:
        result["transactions"] = [hex_data(tx.hash) for tx in block.transactions]
    if getattr(header, "withdrawals_root", None) is not None:
        result["withdrawals"] = [
            {
                "index": hex_quantity(w.index),
                "validatorIndex": hex_quantity(w.validator_index),
                "address": hex_address(w.address),
                "amount": hex_quantity(w.amount),
            }
            for w in getattr(block, "withdrawals", ())
        ]
    return result


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int | None) -> int:
    """Return what the sender pays per gas: the legacy price, or ``min(maxFee, baseFee + tip)``."""
    if tx.type_id is None or base_fee is None or not hasattr(tx, "max_fee_per_gas"):
        return int(tx.gas_price)
    return int(min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas))


def transaction_object(
    tx: SignedTransactionAPI, *, location: TransactionLocation | None, base_fee: int | None
) -> JsonObject:
    """Return a transaction as JSON-RPC shows it; ``location`` is ``None`` while it is pending."""
    type_id = tx.type_id or 0
    result: JsonObject = {
        "hash": hex_data(tx.hash),
        "type": hex_quantity(type_id),
        "nonce": hex_quantity(tx.nonce),
        "from": hex_address(tx.sender),
        "to": hex_address(tx.to) if tx.to else None,
        "gas": hex_quantity(tx.gas),
        "value": hex_quantity(tx.value),
        "input": hex_data(tx.data),
        "r": hex_quantity(tx.r),
        "s": hex_quantity(tx.s),
        "blockHash": hex_data(location.block_hash) if location else None,
        "blockNumber": hex_quantity(location.block_number) if location else None,
        "transactionIndex": hex_quantity(location.index) if location else None,
    }
    if type_id == 0:
        result["gasPrice"] = hex_quantity(tx.gas_price)
        result["v"] = hex_quantity(tx.v)  # type: ignore[attr-defined]
        chain_id = getattr(tx, "chain_id", None)
        if chain_id is not None:
            result["chainId"] = hex_quantity(chain_id)
    else:
        result["chainId"] = hex_quantity(getattr(tx, "chain_id", 0) or 0)
        result["v"] = hex_quantity(tx.y_parity)
        result["yParity"] = hex_quantity(tx.y_parity)
        result["accessList"] = [
            {
                "address": hex_address(entry_address),
                "storageKeys": [padded_word(slot.to_bytes(32, "big")) for slot in slots],
            }
            for entry_address, slots in tx.access_list
        ]
        if hasattr(tx, "max_fee_per_gas"):
            result["maxFeePerGas"] = hex_quantity(tx.max_fee_per_gas)
            result["maxPriorityFeePerGas"] = hex_quantity(tx.max_priority_fee_per_gas)
            paid = effective_gas_price(tx, base_fee) if location else tx.max_fee_per_gas
            result["gasPrice"] = hex_quantity(paid)
        else:
            result["gasPrice"] = hex_quantity(tx.gas_price)
    return result


def log_object(log: LogRecord) -> JsonObject:
    return {
        "address": hex_address(log.address),
        "topics": [hex_data(topic) for topic in log.topics],
        "data": hex_data(log.data),
        "blockHash": hex_data(log.block_hash),
        "blockNumber": hex_quantity(log.block_number),
        "transactionHash": hex_data(log.transaction_hash),
        "transactionIndex": hex_quantity(log.transaction_index),
        "logIndex": hex_quantity(log.log_index),
        "removed": log.removed,
    }


def receipt_object(record: ReceiptRecord) -> JsonObject:
    tx = record.transaction
    location = record.location
    return {
        "transactionHash": hex_data(tx.hash),
        "transactionIndex": hex_quantity(location.index),
        "blockHash": hex_data(location.block_hash),
        "blockNumber": hex_quantity(location.block_number),
        "from": hex_address(tx.sender),
        "to": hex_address(tx.to) if tx.to else None,
        "cumulativeGasUsed": hex_quantity(record.receipt.gas_used),
        "gasUsed": hex_quantity(record.gas_used),
        "effectiveGasPrice": hex_quantity(record.effective_gas_price),
        "contractAddress": hex_address(record.contract_address) if record.contract_address else None,
        "logs": [log_object(log) for log in record.logs],
        "logsBloom": hex_data(record.receipt.bloom.to_bytes(256, "big")),
        "type": hex_quantity(tx.type_id or 0),
        "status": hex_quantity(record.status),
    }
