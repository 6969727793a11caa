from __future__ import annotations

import asyncio

from eth_typing import Address, Hash32

from node.abc import LogFilter, LogRecord, ReceiptRecord, TransactionLocation
from node.events import NodeEvents
from tests.node.execution.test_chain_service import produce


def _log(address: bytes, topic: bytes, index: int) -> LogRecord:
    return LogRecord(
        address=Address(address),
        topics=(Hash32(topic),),
        data=b"",
        block_hash=Hash32(b"\0" * 32),
        block_number=1,
        transaction_hash=Hash32(b"\1" * 32),
        transaction_index=0,
        log_index=index,
    )


def _record(logs):
    return ReceiptRecord(
        receipt=None,  # type: ignore[arg-type]
        transaction=None,  # type: ignore[arg-type]
        location=TransactionLocation(Hash32(b"\0" * 32), 1, 0),
        gas_used=0,
        effective_gas_price=0,
        contract_address=None,
        logs=tuple(logs),
        status=1,
    )


def test_heads_and_filtered_logs_reach_subscribers(chain):
    async def scenario():
        events = NodeEvents()
        events.attach(asyncio.get_running_loop())
        heads = events.subscribe_heads()
        wanted = events.subscribe_logs(LogFilter(0, 0, addresses=frozenset({Address(b"\xaa" * 20)})))
        block, _ = produce(chain, [])
        logs = [_log(b"\xbb" * 20, b"\x01" * 32, 0), _log(b"\xaa" * 20, b"\x02" * 32, 1)]
        events.publish(block, [_record(logs)])
        assert (await asyncio.wait_for(heads.__anext__(), 5)).hash == block.hash
        got = await asyncio.wait_for(wanted.__anext__(), 5)
        assert got.log_index == 1
        await heads.aclose()
        await wanted.aclose()
        assert events.subscriber_count == 0

    asyncio.run(scenario())


def test_slow_subscriber_is_ended_not_buffered_forever(chain):
    async def scenario():
        events = NodeEvents(queue_size=2)
        events.attach(asyncio.get_running_loop())
        heads = events.subscribe_heads()
        block, _ = produce(chain, [])
        for _ in range(5):
            events.publish(block, [])
        await asyncio.sleep(0.01)  # let call_soon_threadsafe callbacks run
        received = [h async for h in heads]
        assert len(received) == 1
        assert events.subscriber_count == 0

    asyncio.run(scenario())


def test_publish_without_a_loop_is_a_no_op(chain):
    block, _ = produce(chain, [])
    NodeEvents().publish(block, [])
