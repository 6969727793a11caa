"""Check 4: distinct nodes on the one network reach the rule profile's minimum (R-DOC-1.3)."""

from __future__ import annotations

from platform_checks.checks.distinct_nodes import NodeGroups
from platform_checks.model import CheckId, CheckResult, CheckStatus


def check_node_count(groups: NodeGroups, min_nodes: int, *, min_nodes_source: str) -> CheckResult:
    """Pass when the established count reaches the minimum; unknown when only an upper bound is known."""
    count = len(groups.groups)
    facts = {
        "distinct_nodes": count,
        "identities_established": groups.identified,
        "min_nodes": min_nodes,
        "min_nodes_source": min_nodes_source,
    }
    if count < min_nodes:
        bound = "" if groups.identified else "at most "
        summary = f"{bound}{count} distinct nodes, the minimum is {min_nodes}"
        return CheckResult(CheckId.NODE_COUNT, CheckStatus.FAIL, summary, facts)
    if not groups.identified:
        summary = f"up to {count} distinct nodes but identities are not established (minimum {min_nodes})"
        return CheckResult(CheckId.NODE_COUNT, CheckStatus.UNKNOWN, summary, facts)
    summary = f"{count} distinct nodes, minimum {min_nodes}"
    return CheckResult(CheckId.NODE_COUNT, CheckStatus.PASS, summary, facts)
