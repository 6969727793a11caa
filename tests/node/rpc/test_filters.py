"""Polling filters expire after their TTL and are capped; time is passed in, never waited for."""

from __future__ import annotations

import pytest

from node.rpc.errors import LimitExceeded, ResourceNotFound
from node.rpc.filters import BlockPoll, FilterRegistry
from node.rpc.limits import RpcLimits


def test_filter_expires_unless_polled() -> None:
    registry = FilterRegistry(RpcLimits(filter_ttl_seconds=60))
    kept = registry.install(BlockPoll(next_block=1, last_poll=0.0), now=0.0)
    dropped = registry.install(BlockPoll(next_block=1, last_poll=0.0), now=0.0)
    registry.touch(kept, now=50.0)
    assert registry.touch(kept, now=100.0).next_block == 1
    with pytest.raises(ResourceNotFound):
        registry.touch(dropped, now=100.0)
    assert len(registry) == 1


def test_filter_count_is_capped_and_expiry_frees_room() -> None:
    registry = FilterRegistry(RpcLimits(max_filters=2, filter_ttl_seconds=10))
    registry.install(BlockPoll(next_block=0, last_poll=0.0), now=0.0)
    registry.install(BlockPoll(next_block=0, last_poll=0.0), now=0.0)
    with pytest.raises(LimitExceeded):
        registry.install(BlockPoll(next_block=0, last_poll=5.0), now=5.0)
    assert registry.install(BlockPoll(next_block=0, last_poll=11.0), now=11.0).startswith("0x")


def test_ids_are_unpredictable_and_uninstall_is_idempotent() -> None:
    registry = FilterRegistry(RpcLimits())
    first = registry.install(BlockPoll(next_block=0, last_poll=0.0), now=0.0)
    second = registry.install(BlockPoll(next_block=0, last_poll=0.0), now=0.0)
    assert first != second
    assert len(first) == 34
    assert registry.uninstall(first) is True
    assert registry.uninstall(first) is False
