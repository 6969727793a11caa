"""Check 3: the endpoints are distinct nodes, not one node behind several URLs.

Two kinds of evidence merge URLs into one node: the same node identity (``admin_nodeInfo`` enode
public key or id), and a node-local filter installed through one URL being known (and removable)
through another. Duplicates are named. When some URL's identity cannot be established and no
duplicate was found, the check is unknown, never pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import FilterProbe, NodeSnapshot


@dataclass(frozen=True, slots=True)
class NodeGroups:
    """Endpoint URLs grouped by node; ``identified`` says every group has a known identity."""

    groups: tuple[tuple[str, ...], ...]
    node_ids: tuple[str | None, ...]
    identified: bool

    @property
    def duplicates(self) -> tuple[tuple[str, ...], ...]:
        return tuple(g for g in self.groups if len(g) > 1)


def group_nodes(snapshots: Sequence[NodeSnapshot], urls: Sequence[str], filters: FilterProbe) -> NodeGroups:
    """Union URLs that share an identity or a filter (order of first declaration kept)."""
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
    seen_ids: dict[str, str] = {}
    for url in urls:
        identity = by_url[url].identity
        if identity.ok and identity.value.node_id is not None:
            node_id = identity.value.node_id
            if node_id in seen_ids:
                union(seen_ids[node_id], url)
            else:
                seen_ids[node_id] = url
    for a, b in filters.shared:
        if a in parent and b in parent:
            union(a, b)
    members: dict[str, list[str]] = {}
    for url in urls:
        members.setdefault(find(url), []).append(url)
    groups = tuple(tuple(m) for m in members.values())
    ids: list[str | None] = []
    for group in groups:
        found = [
            by_url[u].identity.value.node_id
            for u in group
            if by_url[u].identity.ok and by_url[u].identity.value.node_id is not None
        ]
        ids.append(found[0] if found else None)
    return NodeGroups(groups=groups, node_ids=tuple(ids), identified=all(i is not None for i in ids))


def check_distinct_nodes(
    snapshots: Sequence[NodeSnapshot], urls: Sequence[str], filters: FilterProbe, groups: NodeGroups
) -> CheckResult:
    by_url = {s.url: s for s in snapshots}
    evidence = tuple(by_url[u].identity.evidence() for u in urls) + filters.evidence
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
