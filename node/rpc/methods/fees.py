"""Fee suggestions (``eth_feeHistory``, ``eth_maxPriorityFeePerGas``) computed from committed blocks.

On this permissioned chain fees are zero, but ethers.js and web3.py still ask before every transaction;
the answers follow EIP-1559 arithmetic so they stay right if a network ever configures a price.
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI

from node.abc import ChainReaderAPI
from node.rpc.outbound import effective_gas_price, hex_quantity

ELASTICITY_MULTIPLIER = 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8


def next_base_fee(header: BlockHeaderAPI) -> int:
    """Return the EIP-1559 base fee of the block after ``header`` (0 for a pre-London header)."""
    base_fee = getattr(header, "base_fee_per_gas", None)
    if base_fee is None:
        return 0
    target = header.gas_limit // ELASTICITY_MULTIPLIER
    if target in (0, header.gas_used):
        return int(base_fee)
    if header.gas_used > target:
        delta = base_fee * (header.gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        return int(base_fee + max(delta, 1))
    delta = base_fee * (target - header.gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
    return int(max(base_fee - delta, 0))


def suggested_priority_fee(reader: ChainReaderAPI) -> int:
    """Return the tip to offer: the node's price above the head's base fee, never negative."""
    base_fee = getattr(reader.head(), "base_fee_per_gas", None) or 0
    return max(reader.gas_price() - base_fee, 0)


def fee_history(
    reader: ChainReaderAPI, *, block_count: int, newest: int, percentiles: tuple[float, ...]
) -> dict[str, Any]:
    """Return ``eth_feeHistory`` for ``block_count`` blocks ending at ``newest`` (already capped)."""
    oldest = newest - block_count + 1
    base_fees: list[str] = []
    ratios: list[float] = []
    rewards: list[list[str]] = []
    last_header: BlockHeaderAPI | None = None
    for number in range(oldest, newest + 1):
        block = reader.block_by_number(number)
        if block is None:
            break
        header = block.header
        last_header = header
        base_fee = getattr(header, "base_fee_per_gas", None) or 0
        base_fees.append(hex_quantity(base_fee))
        ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        if percentiles:
            rewards.append(
                [
                    hex_quantity(tip)
                    for tip in _block_rewards(reader, block.transactions, base_fee, percentiles)
                ]
            )
    if last_header is not None:
        base_fees.append(hex_quantity(next_base_fee(last_header)))
    result: dict[str, Any] = {
        "oldestBlock": hex_quantity(max(oldest, 0)),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
    }
    if percentiles:
        result["reward"] = rewards
    return result


def _block_rewards(
    reader: ChainReaderAPI, transactions: Any, base_fee: int, percentiles: tuple[float, ...]
) -> list[int]:
    """Return the tip at each percentile of gas used in the block, as execution-apis defines it."""
    weighted: list[tuple[int, int]] = []
    for tx in transactions:
        record = reader.receipt(tx.hash)
        gas_used = record.gas_used if record is not None else tx.gas
        weighted.append((effective_gas_price(tx, base_fee) - base_fee, gas_used))
    if not weighted:
        return [0 for _ in percentiles]
    weighted.sort()
    total = sum(gas for _, gas in weighted)
    tips: list[int] = []
    for percentile in percentiles:
        threshold = total * percentile / 100
        cumulative = 0
        chosen = weighted[-1][0]
        for tip, gas in weighted:
            cumulative += gas
            if cumulative >= threshold:
                chosen = tip
                break
        tips.append(max(chosen, 0))
    return tips
