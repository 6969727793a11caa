"""The I/O shell, first phase: one snapshot of every endpoint (identity, network, head, peers).

Nothing here decides pass or fail. Calls run concurrently (capped by the client's semaphore); a
phase that overruns ``check_timeout_s`` is cut and its missing readings say so. Time stamps come from
the injected ``clock``. The later phases live beside it: ``filter_probe``, ``head_polling`` and
``consensus_probe``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from platform_checks import wire_values as wv
from platform_checks.exceptions import RpcCallFailed
from platform_checks.model import iso
from platform_checks.observations import (
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


def quantity_reading(raw: Any) -> tuple[Any, Any]:
    value = wv.quantity(raw, "quantity")
    return value, value


def block_hash_reading(raw: Any) -> tuple[Any, Any]:
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
        read(client, "eth_chainId", [], quantity_reading, clock),
        read(client, "eth_getBlockByNumber", ["0x0", False], block_hash_reading, clock),
        read(client, "eth_blockNumber", [], quantity_reading, clock),
        read(client, "admin_nodeInfo", [], _identity, clock),
        read(client, "admin_peers", [], _peers, clock),
        read(client, "net_peerCount", [], quantity_reading, clock),
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


async def call_or_error(client: RpcClient, method: str, params: list[Any]) -> tuple[Any, str | None]:
    """The result or the failure message of one call, for probes that judge failures themselves."""
    try:
        return await client.call(method, params), None
    except RpcCallFailed as exc:
        return None, exc.message
