from __future__ import annotations

import asyncio

import pytest
from eth_keys.datatypes import PrivateKey

from node.chain_service import ChainService
from node.events import NodeEvents
from node.exceptions import ConfigError
from node.execution.receipts import block_receipt_records
from node.permissioning import AccountAllowlist
from node.producer import ProducerTiming, SingleNodeProducer
from node.storage.lmdb_store import LmdbStore
from node.txpool.pool import TxPool
from tests.node.conftest import VALIDATOR_KEY, make_genesis
from tests.node.txs import raw_tx, sender_key


def setup(chain: ChainService, timing: ProducerTiming | None = None, clock=None):
    pool = TxPool(
        chain,
        AccountAllowlist(chain.store, chain.genesis.allowed_accounts),
        block_gas_limit=chain.block_gas_limit,
    )
    kwargs = {"clock": clock} if clock else {}
    producer = SingleNodeProducer(chain, pool, VALIDATOR_KEY, timing=timing, **kwargs)
    pool.set_on_pending(producer.notify_pending)
    return pool, producer


def test_nothing_to_do_builds_nothing_unless_empty_blocks_are_due(chain):
    _, producer = setup(chain)
    assert producer.produce_once(chain.head().timestamp + 5) is None
    block = producer.produce_once(chain.head().timestamp + 5, allow_empty=True)
    assert block is not None
    assert block.transactions == ()
    assert chain.head().hash == block.hash


def test_timestamps_strictly_increase_within_one_second(chain):
    pool, producer = setup(chain)
    now = chain.head().timestamp + 100
    stamps = []
    for nonce in range(3):
        pool.add_raw(raw_tx(sender_key(0), nonce))
        block = producer.produce_once(now + 0.5)
        assert block is not None
        stamps.append(block.header.timestamp)
    assert stamps == [now, now + 1, now + 2]


def test_block_includes_pool_and_clears_it_and_drops_invalid(chain):
    pool, producer = setup(chain)
    for nonce in range(5):
        pool.add_raw(raw_tx(sender_key(1), nonce))
    block = producer.produce_once(chain.head().timestamp + 1)
    assert block is not None
    assert [t.nonce for t in block.transactions] == [0, 1, 2, 3, 4]
    assert len(pool) == 0
    assert chain.validators_after(int(block.number)) == (VALIDATOR_KEY.public_key.to_canonical_address(),)


def test_a_full_block_leaves_the_rest_in_the_pool_for_the_next(tmp_path):
    # Transfers that allow 60k and use 21k: a 100k block takes two of them; the third is not dropped
    # as invalid but goes into the next block.
    chain = ChainService(LmdbStore(tmp_path / "c"), make_genesis(gas_limit=100_000))
    pool, producer = setup(chain)
    for nonce in range(3):
        pool.add_raw(raw_tx(sender_key(1), nonce, gas=60_000))
    first = producer.produce_once(chain.head().timestamp + 1)
    assert first is not None
    assert [t.nonce for t in first.transactions] == [0, 1]
    assert len(pool) == 1
    second = producer.produce_once(chain.head().timestamp + 1)
    assert second is not None
    assert [t.nonce for t in second.transactions] == [2]
    assert len(pool) == 0


def test_chain_time_may_run_ahead_by_the_drift_then_the_producer_waits(chain):
    # A burst at one instant: block i gets timestamp now + i. Up to the drift no wait is needed; one
    # block further, the producer must wait a second for the clock.
    timing = ProducerTiming(max_timestamp_drift=3)
    pool, producer = setup(chain, timing)
    now = chain.head().timestamp + 100
    for nonce in range(4):
        assert producer.seconds_to_wait(now) == 0
        pool.add_raw(raw_tx(sender_key(0), nonce))
        assert producer.produce_once(now) is not None
    assert chain.head().timestamp == now + 3
    assert producer.seconds_to_wait(now) == 0  # exactly at the drift
    pool.add_raw(raw_tx(sender_key(0), 4))
    assert producer.produce_once(now) is not None
    assert producer.seconds_to_wait(now) == 1
    assert producer.seconds_to_wait(now + 1) == 0


def test_the_minimum_interval_spaces_blocks(chain):
    pool, producer = setup(chain, ProducerTiming(min_block_interval=0.5))
    now = chain.head().timestamp + 100
    pool.add_raw(raw_tx(sender_key(0), 0))
    assert producer.produce_once(now) is not None
    assert producer.seconds_to_wait(now + 0.2) == pytest.approx(0.3)
    assert producer.seconds_to_wait(now + 0.5) == 0


def test_empty_block_schedule(chain):
    _, never = setup(chain)
    assert never._seconds_until_due(chain.head().timestamp + 100.0) is None
    _, periodic = setup(chain, ProducerTiming(empty_block_period=5))
    head_time = chain.head().timestamp
    assert periodic._seconds_until_due(head_time + 2.0) == pytest.approx(3.0)
    assert periodic._seconds_until_due(head_time + 9.0) == 0.0


def test_refuses_to_run_when_not_the_only_validator(tmp_path):
    other = PrivateKey(b"\x05" * 32)
    chain = ChainService(LmdbStore(tmp_path / "c"), make_genesis([VALIDATOR_KEY, other]))
    with pytest.raises(ConfigError):
        setup(chain)


def test_a_lone_transaction_is_committed_promptly_and_announced(chain):
    asyncio.run(_lone_transaction(chain))


async def _lone_transaction(chain):
    events = NodeEvents()
    events.attach(asyncio.get_running_loop())
    chain.add_commit_listener(
        lambda block, receipts: events.publish(block, block_receipt_records(block, receipts))
    )
    pool, producer = setup(chain)
    heads = events.subscribe_heads()
    task = asyncio.create_task(producer.run())
    try:
        await asyncio.sleep(0)  # let the producer start waiting
        tx_hash = await asyncio.to_thread(pool.add_raw, raw_tx(sender_key(2), 0))
        header = await asyncio.wait_for(heads.__anext__(), timeout=10)
        assert header.block_number == 1
        assert chain.receipt(tx_hash) is not None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await heads.aclose()
    assert events.subscriber_count == 0
