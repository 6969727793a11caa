"""The I/O shell: the pairwise filter probe that tells whether two URLs reach one node process."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from platform_checks.collect import Clock, call_or_error
from platform_checks.model import Evidence, iso
from platform_checks.observations import FilterProbe
from platform_checks.rpc_client import RpcClient
from platform_checks.settings import CheckSettings


async def probe_shared_filters(
    clients: Sequence[RpcClient], clock: Clock, settings: CheckSettings
) -> FilterProbe:
    """Install a block filter through each URL and ask every other URL about it.

    A URL that knows another URL's filter is confirmed to be the same process by removing the
    filter through it and seeing it gone through the first URL (two different nodes may hand out
    the same counter-style id). Our own filters are removed afterwards.
    """
    if len(clients) < 2:
        return FilterProbe(ran=False, note="fewer than two endpoints")
    if len(clients) > settings.pairwise_filter_probe_max:
        return FilterProbe(ran=False, note="too many endpoints for the pairwise probe")
    evidence: list[Evidence] = []
    shared: list[tuple[str, str]] = []
    isolated: list[tuple[str, str]] = []

    async def run() -> None:
        installed = await asyncio.gather(*(call_or_error(c, "eth_newBlockFilter", []) for c in clients))
        ids: dict[int, str] = {}
        for index, (raw, error) in enumerate(installed):
            if error is None and isinstance(raw, str) and 0 < len(raw) <= 130:
                ids[index] = raw
            else:
                evidence.append(
                    Evidence(
                        clients[index].url,
                        "eth_newBlockFilter",
                        iso(clock()),
                        error=error or "not a filter id",
                    )
                )
        decided: set[frozenset[int]] = set()
        for a in list(ids):
            current = ids[a]
            for b in range(len(clients)):
                pair = frozenset((a, b))
                if b == a or pair in decided or ids.get(b) == current:
                    continue  # same id handed out by both: this pair cannot be told apart this way
                decided.add(pair)
                _, err_b = await call_or_error(clients[b], "eth_getFilterChanges", [current])
                if err_b is not None:
                    isolated.append((clients[a].url, clients[b].url))
                    continue
                await call_or_error(clients[b], "eth_uninstallFilter", [current])
                _, err_a = await call_or_error(clients[a], "eth_getFilterChanges", [current])
                if err_a is None:
                    isolated.append((clients[a].url, clients[b].url))
                    continue
                shared.append((clients[a].url, clients[b].url))
                evidence.append(
                    Evidence(
                        clients[b].url,
                        "eth_getFilterChanges/eth_uninstallFilter",
                        iso(clock()),
                        value={"filter_installed_via": clients[a].url, "shared": True},
                    )
                )
                reinstalled, _ = await call_or_error(clients[a], "eth_newBlockFilter", [])
                if not isinstance(reinstalled, str):
                    del ids[a]
                    break
                ids[a] = current = reinstalled
        await asyncio.gather(*(call_or_error(clients[i], "eth_uninstallFilter", [f]) for i, f in ids.items()))

    try:
        async with asyncio.timeout(settings.check_timeout_s):
            await run()
    except TimeoutError:
        return FilterProbe(
            ran=True,
            shared=tuple(shared),
            isolated=tuple(isolated),
            evidence=tuple(evidence),
            note="filter probe cut at the phase deadline",
        )
    return FilterProbe(ran=True, shared=tuple(shared), isolated=tuple(isolated), evidence=tuple(evidence))
