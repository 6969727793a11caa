"""Check 1: every declared endpoint answers, names its client and its chain id."""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import NodeSnapshot


def endpoint_reachable(snapshot: NodeSnapshot) -> bool:
    """Reachable means it answered the calls every later check relies on with well-formed values."""
    return snapshot.chain_id.ok and snapshot.head.ok and snapshot.genesis_hash.ok


def check_reachability(snapshots: Sequence[NodeSnapshot]) -> CheckResult:
    unreachable = [s.url for s in snapshots if not endpoint_reachable(s)]
    evidence = tuple(
        r.evidence() for s in snapshots for r in (s.client_version, s.chain_id, s.genesis_hash, s.head)
    )
    clients = {s.url: s.client_version.value for s in snapshots if s.client_version.ok}
    facts = {
        "endpoints": len(snapshots),
        "reachable": len(snapshots) - len(unreachable),
        "unreachable": unreachable,
        "clients": clients,
    }
    if not snapshots:
        return CheckResult(CheckId.REACHABILITY, CheckStatus.UNKNOWN, "no endpoints", facts, evidence)
    if unreachable:
        summary = f"{len(unreachable)} of {len(snapshots)} endpoints unreachable: {', '.join(unreachable)}"
        return CheckResult(CheckId.REACHABILITY, CheckStatus.FAIL, summary, facts, evidence)
    summary = f"all {len(snapshots)} endpoints answer with chain id, genesis and head"
    return CheckResult(CheckId.REACHABILITY, CheckStatus.PASS, summary, facts, evidence)
