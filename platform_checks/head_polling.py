"""The I/O shell: follow every node's head through the liveness window (injected clock and sleep)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from platform_checks.collect import Clock, Sleep, block_hash_reading, quantity_reading, read
from platform_checks.model import iso
from platform_checks.observations import HeadPolls, Reading
from platform_checks.rpc_client import RpcClient
from platform_checks.settings import CheckSettings


async def poll_heads(
    clients: Sequence[RpcClient],
    initial: dict[str, Reading],
    clock: Clock,
    sleep: Sleep,
    settings: CheckSettings,
) -> HeadPolls:
    """Poll ``eth_blockNumber`` until every node's head moved past ``initial`` or the window ends.

    ``initial`` holds each node's head as the snapshot read it (with the time it was read).
    """
    start = clock()
    polls: dict[str, list[tuple[str, int | None]]] = {}
    for client in clients:
        first = initial.get(client.url)
        if first is not None and first.ok:
            polls[client.url] = [(first.observed_at, first.value)]
        else:
            polls[client.url] = [(iso(start), None)]
    errors: dict[str, str] = {}

    def advanced() -> bool:
        for series in polls.values():
            first = series[0][1]
            latest = series[-1][1]
            if first is None or latest is None or latest <= first:
                return False
        return True

    while True:
        waited = (clock() - start).total_seconds()
        if advanced() or waited >= settings.liveness_window_s:
            break
        await sleep(min(settings.liveness_poll_s, settings.liveness_window_s - waited))
        readings = await asyncio.gather(
            *(read(c, "eth_blockNumber", [], quantity_reading, clock) for c in clients)
        )
        for reading in readings:
            if reading.ok:
                polls[reading.source].append((reading.observed_at, reading.value))
            else:
                errors[reading.source] = reading.error or "failed"
    waited = (clock() - start).total_seconds()
    finals = [series[-1][1] for series in polls.values() if series[-1][1] is not None]
    common: dict[str, Reading] = {}
    if finals:
        height = hex(min(finals))
        readings = await asyncio.gather(
            *(read(c, "eth_getBlockByNumber", [height, False], block_hash_reading, clock) for c in clients)
        )
        common = {r.source: r for r in readings}
    return HeadPolls(
        polls=polls,
        window_s=settings.liveness_window_s,
        waited_s=waited,
        errors=errors,
        common_block=common,
    )
