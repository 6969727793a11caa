"""The I/O shell: read what the checks need from every endpoint, bounded in time and size.

Nothing here decides pass or fail. Calls run concurrently (capped by the client's semaphore); a
phase that overruns ``check_timeout_s`` is cut and its missing readings say so. Time stamps come from
the injected ``clock`` and waiting goes through the injected ``sleep``, so tests control both.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from platform_checks import wire_values as wv
from platform_checks.block_header import BlockHeader, header_from_json
from platform_checks.engines.base import EngineFinding, EngineProbe
from platform_checks.exceptions import RpcCallFailed
from platform_checks.model import Evidence, iso
from platform_checks.observations import (
    ConsensusObservation,
    FilterProbe,
    HeadPolls,
    NodeIdentity,
    NodeSnapshot,
    Reading,
)
from platform_checks.rpc_client import RpcClient
from platform_checks.settings import CheckSettings

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]
Parser = Callable[[Any], tuple[Any, Any]]
"""Turns a raw result into (parsed value, JSON shown in evidence); raises MalformedValue."""

_ENODE = re.compile(r"enode://([0-9a-fA-F]{128})@")
_HEX_ID = re.compile(r"(0x)?([0-9a-fA-F]{64}|[0-9a-fA-F]{128})")
MAX_PEERS = 1024
ZERO_ADDRESS = "0x" + "00" * 20


async def read(client: RpcClient, method: str, params: list[Any], parse: Parser, clock: Clock) -> Reading:
    """One call turned into a :class:`Reading`; never raises for anything the endpoint does."""
    try:
        raw = await client.call(method, params)
        value, shown = parse(raw)
    except RpcCallFailed as exc:
        return Reading(client.url, method, iso(clock()), error=exc.message, failure_kind=exc.kind)
    except wv.MalformedValue as exc:
        return Reading(client.url, method, iso(clock()), error=f"{method}: {exc}", failure_kind="malformed")
    return Reading(client.url, method, iso(clock()), value=value, shown=shown)


def _text(raw: Any) -> tuple[Any, Any]:
    text = wv.short_text(raw, "client version", limit=256)
    return text, text


def _quantity(raw: Any) -> tuple[Any, Any]:
    value = wv.quantity(raw, "quantity")
    return value, value


def _block_hash(raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, dict):
        raise wv.MalformedValue("block is missing or not an object")
    text = "0x" + wv.hash32(raw.get("hash"), "block hash").hex()
    return text, text


def normalise_node_id(enode: Any, node_id: Any) -> str | None:
    """The public key from an enode URL if present, else a hex id; lower-case, no ``0x``."""
    if isinstance(enode, str):
        match = _ENODE.match(enode)
        if match:
            return match.group(1).lower()
    if isinstance(node_id, str):
        match = _HEX_ID.fullmatch(node_id)
        if match:
            return match.group(2).lower()
    return None


def _identity(raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, dict):
        raise wv.MalformedValue("admin_nodeInfo is not an object")
    enode = raw.get("enode")
    node_id = normalise_node_id(enode, raw.get("id"))
    if node_id is None:
        raise wv.MalformedValue("admin_nodeInfo carries neither an enode nor a hex id")
    config_chain_id: int | None = None
    config = raw.get("protocols", {}).get("eth", {}) if isinstance(raw.get("protocols"), dict) else {}
    config = config.get("config") if isinstance(config, dict) else None
    if isinstance(config, dict) and isinstance(config.get("chainId"), int):
        config_chain_id = config["chainId"]
    enode_text = enode[:300] if isinstance(enode, str) else None
    identity = NodeIdentity(node_id=node_id, enode=enode_text, config_chain_id=config_chain_id)
    return identity, {"id": node_id, "enode": enode_text, "config_chain_id": config_chain_id}


def _coinbase(raw: Any) -> tuple[Any, Any]:
    value = wv.address(raw, "coinbase")
    return (None if value == ZERO_ADDRESS else value), value


def _peers(raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, list) or len(raw) > MAX_PEERS:
        raise wv.MalformedValue("admin_peers is not a list of peers")
    ids: list[str] = []
    for peer in raw:
        if not isinstance(peer, dict):
            raise wv.MalformedValue("admin_peers entry is not an object")
        peer_id = normalise_node_id(peer.get("enode"), peer.get("id"))
        if peer_id is None:
            raise wv.MalformedValue("admin_peers entry has no usable id")
        ids.append(peer_id)
    return tuple(ids), ids


async def observe_node(client: RpcClient, clock: Clock) -> NodeSnapshot:
    """Read identity, network and head from one endpoint (all calls concurrently)."""
    (
        client_version,
        chain_id,
        genesis,
        head,
        identity,
        peers,
        peer_count,
        coinbase,
    ) = await asyncio.gather(
        read(client, "web3_clientVersion", [], _text, clock),
        read(client, "eth_chainId", [], _quantity, clock),
        read(client, "eth_getBlockByNumber", ["0x0", False], _block_hash, clock),
        read(client, "eth_blockNumber", [], _quantity, clock),
        read(client, "admin_nodeInfo", [], _identity, clock),
        read(client, "admin_peers", [], _peers, clock),
        read(client, "net_peerCount", [], _quantity, clock),
        read(client, "eth_coinbase", [], _coinbase, clock),
    )
    return NodeSnapshot(
        url=client.url,
        client_version=client_version,
        chain_id=chain_id,
        genesis_hash=genesis,
        head=head,
        identity=identity,
        peers=peers,
        peer_count=peer_count,
        coinbase=coinbase,
    )


def _timed_out(client: RpcClient, method: str, clock: Clock, limit: float) -> Reading:
    return Reading(
        client.url, method, iso(clock()), error=f"check phase exceeded {limit:g} s", failure_kind="timeout"
    )


async def observe_nodes(
    clients: Sequence[RpcClient], clock: Clock, settings: CheckSettings
) -> tuple[NodeSnapshot, ...]:
    """Snapshot every endpoint; an endpoint still busy at the phase deadline gets timed-out readings."""
    tasks = [asyncio.ensure_future(observe_node(c, clock)) for c in clients]
    _done, pending = await asyncio.wait(tasks, timeout=settings.check_timeout_s)
    for task in pending:
        task.cancel()
    snapshots: list[NodeSnapshot] = []
    for client, task in zip(clients, tasks, strict=True):
        if task in pending:
            t = _timed_out
            lim = settings.check_timeout_s
            snapshots.append(
                NodeSnapshot(
                    url=client.url,
                    client_version=t(client, "web3_clientVersion", clock, lim),
                    chain_id=t(client, "eth_chainId", clock, lim),
                    genesis_hash=t(client, "eth_getBlockByNumber", clock, lim),
                    head=t(client, "eth_blockNumber", clock, lim),
                    identity=t(client, "admin_nodeInfo", clock, lim),
                    peers=t(client, "admin_peers", clock, lim),
                    peer_count=t(client, "net_peerCount", clock, lim),
                    coinbase=t(client, "eth_coinbase", clock, lim),
                )
            )
        else:
            snapshots.append(task.result())
    return tuple(snapshots)


async def _try(client: RpcClient, method: str, params: list[Any]) -> tuple[Any, str | None]:
    try:
        return await client.call(method, params), None
    except RpcCallFailed as exc:
        return None, exc.message


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
        installed = await asyncio.gather(*(_try(c, "eth_newBlockFilter", []) for c in clients))
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
                _, err_b = await _try(clients[b], "eth_getFilterChanges", [current])
                if err_b is not None:
                    isolated.append((clients[a].url, clients[b].url))
                    continue
                await _try(clients[b], "eth_uninstallFilter", [current])
                _, err_a = await _try(clients[a], "eth_getFilterChanges", [current])
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
                reinstalled, _ = await _try(clients[a], "eth_newBlockFilter", [])
                if not isinstance(reinstalled, str):
                    del ids[a]
                    break
                ids[a] = current = reinstalled
        await asyncio.gather(*(_try(clients[i], "eth_uninstallFilter", [f]) for i, f in ids.items()))

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


async def poll_heads(
    clients: Sequence[RpcClient],
    initial: dict[str, int | None],
    clock: Clock,
    sleep: Sleep,
    settings: CheckSettings,
) -> HeadPolls:
    """Poll ``eth_blockNumber`` until every node's head moved past ``initial`` or the window ends."""
    start = clock()
    polls: dict[str, list[tuple[str, int | None]]] = {
        c.url: [(iso(start), initial.get(c.url))] for c in clients
    }
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
        readings = await asyncio.gather(*(read(c, "eth_blockNumber", [], _quantity, clock) for c in clients))
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
            *(read(c, "eth_getBlockByNumber", [height, False], _block_hash, clock) for c in clients)
        )
        common = {r.source: r for r in readings}
    return HeadPolls(
        polls=polls,
        window_s=settings.liveness_window_s,
        waited_s=waited,
        errors=errors,
        common_block=common,
    )


async def fetch_recent_headers(
    client: RpcClient, head: int, count: int, clock: Clock
) -> tuple[tuple[BlockHeader, ...], tuple[Evidence, ...]]:
    """The ``count`` newest headers up to ``head`` (oldest first), plus one parent for context."""
    first = max(head - count, 0)
    numbers = list(range(first, head + 1))
    raws = await asyncio.gather(*(_try(client, "eth_getBlockByNumber", [hex(n), False]) for n in numbers))
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
