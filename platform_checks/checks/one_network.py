"""Check 2: all endpoints are on one network: same chain id AND same genesis block hash.

A node can claim any chain id; the genesis hash is much harder to fake consistently, and a node that
reports a genesis config chain id (``admin_nodeInfo``) different from ``eth_chainId`` is named as
contradicting itself. Later checks only count endpoints on the main (largest) network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from platform_checks.checks.reachability import endpoint_reachable
from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import NodeSnapshot

NetworkKey = tuple[int, str]


def network_groups(snapshots: Sequence[NodeSnapshot]) -> dict[NetworkKey, list[str]]:
    groups: dict[NetworkKey, list[str]] = defaultdict(list)
    for s in snapshots:
        if endpoint_reachable(s):
            groups[(s.chain_id.value, s.genesis_hash.value)].append(s.url)
    return dict(groups)


def main_network(snapshots: Sequence[NodeSnapshot]) -> tuple[NetworkKey | None, tuple[str, ...]]:
    """The network most endpoints are on (first declared wins a tie) and its endpoint URLs."""
    groups = network_groups(snapshots)
    if not groups:
        return None, ()
    order = {s.url: i for i, s in enumerate(snapshots)}
    key = max(groups, key=lambda k: (len(groups[k]), -min(order[u] for u in groups[k])))
    return key, tuple(groups[key])


def check_one_network(snapshots: Sequence[NodeSnapshot]) -> CheckResult:
    groups = network_groups(snapshots)
    key, members = main_network(snapshots)
    contradicting = [
        s.url
        for s in snapshots
        if s.identity.ok
        and s.chain_id.ok
        and s.identity.value.config_chain_id is not None
        and s.identity.value.config_chain_id != s.chain_id.value
    ]
    facts = {
        "networks": [
            {"chain_id": cid, "genesis_hash": gh, "endpoints": urls} for (cid, gh), urls in groups.items()
        ],
        "main_network": {"chain_id": key[0], "genesis_hash": key[1]} if key else None,
        "self_contradicting": contradicting,
    }
    evidence = tuple(r.evidence() for s in snapshots for r in (s.chain_id, s.genesis_hash))
    if not groups:
        return CheckResult(CheckId.ONE_NETWORK, CheckStatus.UNKNOWN, "no endpoint answered", facts, evidence)
    if len(groups) > 1:
        others = [u for k, urls in groups.items() if k != key for u in urls]
        summary = f"{len(groups)} different networks; not on the main one: {', '.join(others)}"
        return CheckResult(CheckId.ONE_NETWORK, CheckStatus.FAIL, summary, facts, evidence)
    if contradicting:
        summary = f"chain id contradicts the node's own genesis config on: {', '.join(contradicting)}"
        return CheckResult(CheckId.ONE_NETWORK, CheckStatus.FAIL, summary, facts, evidence)
    if key is None:  # pragma: no cover - groups is non-empty here
        raise RuntimeError("main network missing")
    summary = f"{len(members)} endpoints on chain id {key[0]}, genesis {key[1]}"
    return CheckResult(CheckId.ONE_NETWORK, CheckStatus.PASS, summary, facts, evidence)
