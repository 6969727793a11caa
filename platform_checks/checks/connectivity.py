"""Check 5: the nodes see each other as one connected network.

With peer lists (``admin_peers``) the declared nodes form a graph; it must be connected. Peers that
are not among the declared nodes are reported but do not connect anything. Without peer lists only
peer counts are known: a node with no peers fails; counts high enough for a full mesh among the
declared nodes pass; anything else is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks.checks.distinct_nodes import NodeGroups
from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import NodeSnapshot


def _components(nodes: Sequence[int], edges: set[tuple[int, int]]) -> list[list[int]]:
    neighbours: dict[int, set[int]] = {n: set() for n in nodes}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[int] = set()
    components: list[list[int]] = []
    for start in nodes:
        if start in seen:
            continue
        stack, component = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            component.append(node)
            for nxt in sorted(neighbours[node] - seen):
                seen.add(nxt)
                stack.append(nxt)
        components.append(sorted(component))
    return components


def check_connectivity(snapshots: Sequence[NodeSnapshot], groups: NodeGroups) -> CheckResult:
    by_url = {s.url: s for s in snapshots}
    representatives = [by_url[g[0]] for g in groups.groups]
    evidence = tuple(r.evidence() for s in representatives for r in (s.peers, s.peer_count))
    counts = {s.url: s.peer_count.value for s in representatives if s.peer_count.ok}
    n = len(groups.groups)
    facts: dict[str, object] = {"nodes": n, "peer_counts": counts}
    if n < 2:
        summary = "fewer than two distinct nodes: nothing to connect"
        return CheckResult(CheckId.CONNECTIVITY, CheckStatus.UNKNOWN, summary, facts, evidence)
    isolated = [url for url, count in counts.items() if count == 0]
    if isolated:
        summary = f"nodes with no peers: {', '.join(isolated)}"
        return CheckResult(CheckId.CONNECTIVITY, CheckStatus.FAIL, summary, facts, evidence)

    index_of = {peer_id: i for i, peer_id in enumerate(groups.peer_ids) if peer_id is not None}
    graph_usable = groups.identified and len(index_of) == n
    edges: set[tuple[int, int]] = set()
    with_lists = 0
    foreign: set[str] = set()
    for i, group in enumerate(groups.groups):
        lists = [by_url[u].peers.value for u in group if by_url[u].peers.ok]
        if lists:
            with_lists += 1
        for peer_id in (p for peers in lists for p in peers):
            j = index_of.get(peer_id)
            if j is None:
                foreign.add(peer_id)
            elif j != i:
                edges.add((min(i, j), max(i, j)))
    components = _components(list(range(n)), edges)
    facts["links_between_declared_nodes"] = len(edges)
    facts["peers_outside_declaration"] = len(foreign)
    facts["components"] = [[groups.groups[i][0] for i in c] for c in components]
    if graph_usable and with_lists and len(components) == 1:
        summary = f"{n} nodes form one connected network ({len(edges)} links among them)"
        return CheckResult(CheckId.CONNECTIVITY, CheckStatus.PASS, summary, facts, evidence)
    if graph_usable and with_lists == n:
        parts = " | ".join(", ".join(groups.groups[i][0] for i in c) for c in components)
        summary = f"the nodes form {len(components)} separate parts: {parts}"
        return CheckResult(CheckId.CONNECTIVITY, CheckStatus.FAIL, summary, facts, evidence)
    if len(counts) == n and all(c >= n - 1 for c in counts.values()):
        summary = f"no usable peer lists, but every node reports at least {n - 1} peers"
        return CheckResult(CheckId.CONNECTIVITY, CheckStatus.PASS, summary, facts, evidence)
    summary = "peer lists or identities unavailable; connectivity cannot be established"
    return CheckResult(CheckId.CONNECTIVITY, CheckStatus.UNKNOWN, summary, facts, evidence)
