"""Run every check against a set of declared endpoints and build the report body.

The order matters: snapshots first (reachability, network, identity), then the filter probe for
duplicates, then the liveness wait, and last the consensus probe on the node with the highest head
seen. All I/O is bounded by :class:`CheckSettings`; time comes from ``clock`` and waiting from
``sleep`` (both injectable), so a test can run a 30-second liveness window instantly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import nacl.signing

from permitchain.rule_profile import RuleProfile
from platform_checks.checks.connectivity import check_connectivity
from platform_checks.checks.consensus import check_consensus
from platform_checks.checks.distinct_nodes import check_distinct_nodes, group_nodes
from platform_checks.checks.liveness import check_liveness
from platform_checks.checks.node_count import check_node_count
from platform_checks.checks.one_network import check_one_network, main_network
from platform_checks.checks.reachability import check_reachability
from platform_checks.collect import observe_nodes
from platform_checks.consensus_probe import observe_consensus
from platform_checks.endpoints import Endpoint
from platform_checks.engines.base import EngineProbe
from platform_checks.engines.registry import default_engine_probes
from platform_checks.exceptions import PlatformCheckError
from platform_checks.filter_probe import probe_shared_filters
from platform_checks.head_polling import poll_heads
from platform_checks.model import CheckResult, CheckStatus, iso, overall_verdict
from platform_checks.report import REPORT_SCHEMA_ID, sign_report
from platform_checks.rpc_client import RpcClient, new_http_client
from platform_checks.settings import CheckSettings


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class PlatformCheckRun:
    """The outcome of one run: every check's result and the report body built from them."""

    endpoints: tuple[Endpoint, ...]
    results: tuple[CheckResult, ...]
    verdict: CheckStatus
    started_at: dt.datetime
    finished_at: dt.datetime
    min_nodes: int
    min_nodes_source: str
    rule_profile: str
    settings: CheckSettings

    def body(self) -> dict[str, Any]:
        """The report body (what is hashed and signed)."""
        s = self.settings
        return {
            "schema": REPORT_SCHEMA_ID,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "rule_profile": self.rule_profile,
            "min_nodes": self.min_nodes,
            "min_nodes_source": self.min_nodes_source,
            "endpoints": [{"url": e.url, "bearer_token": e.token is not None} for e in self.endpoints],
            "settings": {
                "allow_private": s.allow_private,
                "call_timeout_s": s.call_timeout_s,
                "liveness_window_s": s.liveness_window_s,
                "max_head_lag": s.max_head_lag,
                "seal_window": s.seal_window,
                "max_response_bytes": s.max_response_bytes,
            },
            "verdict": self.verdict.value,
            "checks": [r.to_json() for r in self.results],
        }

    def signed_report(self, key: nacl.signing.SigningKey) -> dict[str, Any]:
        return sign_report(self.body(), key)


async def run_platform_check(
    endpoints: Sequence[Endpoint],
    *,
    profile: RuleProfile,
    settings: CheckSettings | None = None,
    min_nodes_override: int | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    engine_probes: Sequence[EngineProbe] | None = None,
) -> PlatformCheckRun:
    """Probe ``endpoints`` and judge them against ``profile.platform_min_nodes``.

    ``min_nodes_override`` exists for the CLI only (a person exploring a network); the service must
    leave it ``None`` so the number of the law comes from the rule profile.
    """
    settings = settings or CheckSettings()
    endpoints = tuple(endpoints)
    if not endpoints:
        raise PlatformCheckError("no endpoints given")
    if len(endpoints) > settings.max_endpoints:
        raise PlatformCheckError(f"{len(endpoints)} endpoints given, at most {settings.max_endpoints}")
    if min_nodes_override is not None and min_nodes_override < 1:
        raise PlatformCheckError("the minimum node count must be at least 1")
    if min_nodes_override is None:
        min_nodes, source = profile.platform_min_nodes, f"rule profile {profile.key}"
    else:
        min_nodes, source = min_nodes_override, "override (--min-nodes)"
    probes = tuple(engine_probes) if engine_probes is not None else default_engine_probes()
    started = clock()
    semaphore = asyncio.Semaphore(settings.max_concurrency)
    async with new_http_client() as http:
        results = await _run(
            endpoints=endpoints,
            http=http,
            semaphore=semaphore,
            settings=settings,
            min_nodes=min_nodes,
            min_nodes_source=source,
            clock=clock,
            sleep=sleep,
            probes=probes,
        )
    return PlatformCheckRun(
        endpoints=endpoints,
        results=results,
        verdict=overall_verdict(results),
        started_at=started,
        finished_at=clock(),
        min_nodes=min_nodes,
        min_nodes_source=source,
        rule_profile=profile.key,
        settings=settings,
    )


async def _run(
    *,
    endpoints: tuple[Endpoint, ...],
    http: httpx.AsyncClient,
    semaphore: asyncio.Semaphore,
    settings: CheckSettings,
    min_nodes: int,
    min_nodes_source: str,
    clock: Callable[[], dt.datetime],
    sleep: Callable[[float], Awaitable[None]],
    probes: Sequence[EngineProbe],
) -> tuple[CheckResult, ...]:
    clients = [RpcClient(e, settings=settings, http=http, semaphore=semaphore) for e in endpoints]
    snapshots = await observe_nodes(clients, clock, settings)
    reachability = check_reachability(snapshots)
    one_network = check_one_network(snapshots)
    _key, urls = main_network(snapshots)
    on_network = [c for c in clients if c.url in urls]
    filters = await probe_shared_filters(on_network, clock, settings)
    groups = group_nodes(snapshots, urls, filters)
    distinct = check_distinct_nodes(snapshots, urls, filters, groups)
    count = check_node_count(groups, min_nodes, min_nodes_source=min_nodes_source)
    connectivity = check_connectivity(snapshots, groups)

    by_url = {s.url: s for s in snapshots}
    initial = {u: by_url[u].head for u in urls}
    polls = await poll_heads(on_network, initial, clock, sleep, settings)
    liveness = check_liveness(polls, urls, settings.max_head_lag)

    reference: RpcClient | None = None
    best: int | None = None
    for client in on_network:
        heads = [h for _, h in polls.polls.get(client.url, ()) if h is not None]
        if heads and (best is None or heads[-1] > best):
            reference, best = client, heads[-1]
    consensus = check_consensus(await observe_consensus(reference, best, probes, clock, settings))
    return (reachability, one_network, distinct, count, connectivity, liveness, consensus)
