"""The I/O shell: recent headers from the reference node, judged by every engine adapter."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from platform_checks import wire_values as wv
from platform_checks.block_header import BlockHeader, header_from_json
from platform_checks.collect import Clock, call_or_error
from platform_checks.engines.base import EngineFinding, EngineProbe
from platform_checks.model import Evidence, iso
from platform_checks.observations import ConsensusObservation
from platform_checks.rpc_client import RpcClient
from platform_checks.settings import CheckSettings


async def fetch_recent_headers(
    client: RpcClient, head: int, count: int, clock: Clock
) -> tuple[tuple[BlockHeader, ...], tuple[Evidence, ...]]:
    """The ``count`` newest headers up to ``head`` (oldest first), plus one parent for context."""
    first = max(head - count, 0)
    numbers = list(range(first, head + 1))
    raws = await asyncio.gather(
        *(call_or_error(client, "eth_getBlockByNumber", [hex(n), False]) for n in numbers)
    )
    headers: list[BlockHeader] = []
    evidence: list[Evidence] = []
    for number, (raw, error) in zip(numbers, raws, strict=True):
        if error is not None:
            evidence.append(Evidence(client.url, "eth_getBlockByNumber", iso(clock()), error=error))
            continue
        try:
            header = header_from_json(raw)
        except wv.MalformedValue as exc:
            evidence.append(
                Evidence(client.url, "eth_getBlockByNumber", iso(clock()), error=f"block {number}: {exc}")
            )
            continue
        if header.number != number:
            evidence.append(
                Evidence(
                    client.url,
                    "eth_getBlockByNumber",
                    iso(clock()),
                    error=f"asked for block {number}, got block {header.number}",
                )
            )
            continue
        headers.append(header)
    return tuple(headers), tuple(evidence)


async def _guarded_probe(
    probe: EngineProbe, node: RpcClient, headers: Sequence[BlockHeader], clock: Clock
) -> EngineFinding:
    """Run one adapter; a defect in it makes that engine unproven, never crashes the whole run."""
    try:
        return await probe.probe(node, headers, clock)
    except Exception as exc:  # the boundary between untrusted input and one adapter's code
        return EngineFinding(
            engine=probe.name,
            identified_by_rpc=None,
            identified_by_headers=False,
            validators=(),
            validators_from_rpc=None,
            quorum=None,
            fault_tolerance=None,
            tolerance_model="",
            blocks_checked=0,
            blocks_properly_sealed=0,
            distinct_sealers=(),
            required_distinct_sealers=None,
            problems=(f"the {probe.name} probe failed internally ({type(exc).__name__})",),
            evidence=(Evidence(node.url, f"{probe.name} probe", iso(clock()), error=type(exc).__name__),),
        )


async def observe_consensus(
    reference: RpcClient | None,
    head: int | None,
    probes: Sequence[EngineProbe],
    clock: Clock,
    settings: CheckSettings,
) -> ConsensusObservation:
    """Fetch recent headers from the reference node and let every engine adapter judge them."""
    if reference is None or head is None:
        return ConsensusObservation(None, (), (), (), error="no reachable node on the network")
    try:
        async with asyncio.timeout(settings.check_timeout_s):
            headers, evidence = await fetch_recent_headers(reference, head, settings.seal_window, clock)
            findings = [await _guarded_probe(probe, reference, headers, clock) for probe in probes]
    except TimeoutError:
        return ConsensusObservation(
            reference.url, (), (), (), error=f"consensus probe exceeded {settings.check_timeout_s:g} s"
        )
    return ConsensusObservation(reference.url, headers, tuple(findings), evidence)
