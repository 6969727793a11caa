"""Check 3: the endpoints are distinct nodes, not one node behind several URLs.

Three kinds of evidence merge URLs into one node: the same node identity (``admin_nodeInfo`` enode
public key or id), the same signing key (``eth_coinbase``, the engine's own id on BFT and Clique
networks), and a node-local filter installed through one URL being known (and removable) through
another. Duplicates are named. When some URL's identity cannot be established and no
duplicate was found, the check is unknown, never pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import FilterProbe, NodeSnapshot


@dataclass(frozen=True, slots=True)
class NodeGroups:
    """Endpoint URLs grouped by node; ``identified`` says every group has a known identity.

    ``node_ids`` label each group (the p2p node id, else ``signer:<coinbase>``); ``peer_ids`` hold only
    p2p node ids, the ones peer lists can be matched against.
    """

    groups: tuple[tuple[str, ...], ...]
    node_ids: tuple[str | None, ...]
    identified: bool
    peer_ids: tuple[str | None, ...] = ()

    @property
    def duplicates(self) -> tuple[tuple[str, ...], ...]:
        return tuple(g for g in self.groups if len(g) > 1)


def _identity_keys(snapshot: NodeSnapshot) -> list[str]:
    keys: list[str] = []
    if snapshot.identity.ok and snapshot.identity.value.node_id is not None:
        keys.append("node:" + snapshot.identity.value.node_id)
    if snapshot.coinbase.ok and snapshot.coinbase.value is not None:
        keys.append("signer:" + snapshot.coinbase.value)
    return keys


def group_nodes(snapshots: Sequence[NodeSnapshot], urls: Sequence[str], filters: FilterProbe) -> NodeGroups:
    """Union URLs sharing a p2p identity, a signing key (coinbase) or a filter (first declaration kept).

    Two URLs with one signing key are one validator even if they are two processes: the key, not the
    process, is what consensus counts.
    """
    parent = {u: u for u in urls}

    def find(u: str) -> str:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    by_url = {s.url: s for s in snapshots}
    seen: dict[str, str] = {}
    for url in urls:
        for key in _identity_keys(by_url[url]):
            if key in seen:
                union(seen[key], url)
            else:
                seen[key] = url
    for a, b in filters.shared:
        if a in parent and b in parent:
            union(a, b)
    members: dict[str, list[str]] = {}
    for url in urls:
        members.setdefault(find(url), []).append(url)
    groups = tuple(tuple(m) for m in members.values())
    labels: list[str | None] = []
    peer_ids: list[str | None] = []
    for group in groups:
        keys = [k for u in group for k in _identity_keys(by_url[u])]
        node_keys = [k.removeprefix("node:") for k in keys if k.startswith("node:")]
        peer_ids.append(node_keys[0] if node_keys else None)
        labels.append(node_keys[0] if node_keys else (keys[0] if keys else None))
    return NodeGroups(
        groups=groups,
        node_ids=tuple(labels),
        identified=all(i is not None for i in labels),
        peer_ids=tuple(peer_ids),
    )


def check_distinct_nodes(
    snapshots: Sequence[NodeSnapshot], urls: Sequence[str], filters: FilterProbe, groups: NodeGroups
) -> CheckResult:
    by_url = {s.url: s for s in snapshots}
    evidence = (
        tuple(by_url[u].identity.evidence() for u in urls)
        + tuple(by_url[u].coinbase.evidence() for u in urls if by_url[u].coinbase.ok)
        + filters.evidence
    )
    facts = {
        "nodes": [
            {"endpoints": list(g), "node_id": i} for g, i in zip(groups.groups, groups.node_ids, strict=True)
        ],
        "duplicates": [list(g) for g in groups.duplicates],
        "filter_probe": {
            "ran": filters.ran,
            "shared_pairs": [list(p) for p in filters.shared],
            "isolated_pairs": len(filters.isolated),
            "note": filters.note,
        },
    }
    if not urls:
        return CheckResult(CheckId.DISTINCT_NODES, CheckStatus.UNKNOWN, "no endpoint on the network", facts)
    if groups.duplicates:
        named = "; ".join(" = ".join(g) for g in groups.duplicates)
        summary = f"the same node is declared under several URLs: {named}"
        return CheckResult(CheckId.DISTINCT_NODES, CheckStatus.FAIL, summary, facts, evidence)
    if not groups.identified:
        unknown = [g[0] for g, i in zip(groups.groups, groups.node_ids, strict=True) if i is None]
        summary = f"node identity could not be established for: {', '.join(unknown)}"
        return CheckResult(CheckId.DISTINCT_NODES, CheckStatus.UNKNOWN, summary, facts, evidence)
    summary = f"{len(groups.groups)} endpoints, {len(groups.groups)} distinct node identities"
    return CheckResult(CheckId.DISTINCT_NODES, CheckStatus.PASS, summary, facts, evidence)
