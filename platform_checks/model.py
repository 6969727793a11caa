"""What a check produces: a status, a one-line summary, the facts it derived and the evidence it read.

Evidence is kept as plain JSON-ready values so the report can be hashed and signed as it is; each item
says which endpoint answered which method, when (the injected clock), and what it answered or how it
failed, so a reviewer can see why a check passed without re-running it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonValue = Any
"""A value that ``json.dumps`` accepts (dicts with str keys, lists, str, int, bool, None)."""


class CheckStatus(enum.StrEnum):
    """Outcome of one check. ``unknown`` means it could not be established either way: never a pass."""

    PASS = "pass"  # noqa: S105 - a check outcome, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"


class CheckId(enum.StrEnum):
    """Stable identifiers of the checks, in the order they appear in a report."""

    REACHABILITY = "reachability"
    ONE_NETWORK = "one_network"
    DISTINCT_NODES = "distinct_nodes"
    NODE_COUNT = "node_count"
    CONNECTIVITY = "connectivity"
    LIVENESS = "liveness"
    CONSENSUS = "consensus"


CHECK_TITLES: Mapping[CheckId, str] = {
    CheckId.REACHABILITY: "Every endpoint answers and identifies its client",
    CheckId.ONE_NETWORK: "All endpoints belong to one network (chain id, genesis hash)",
    CheckId.DISTINCT_NODES: "Endpoints are distinct nodes, not one node behind several URLs",
    CheckId.NODE_COUNT: "Distinct nodes reach the rule profile's minimum",
    CheckId.CONNECTIVITY: "The nodes see each other as one connected network",
    CheckId.LIVENESS: "New blocks within the window, heads close together",
    CheckId.CONSENSUS: "A consensus engine is identified and its validators seal recent blocks",
}


def iso(moment: dt.datetime) -> str:
    """Render an aware timestamp in UTC with a ``Z`` suffix (the only form reports use)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One value read from one endpoint (or derived from several), with when and how."""

    source: str
    method: str
    observed_at: str | None
    value: JsonValue = None
    error: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {
            "source": self.source,
            "method": self.method,
            "observed_at": self.observed_at,
        }
        if self.error is not None:
            out["error"] = self.error
        else:
            out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check with the facts it derived and the evidence behind them."""

    check: CheckId
    status: CheckStatus
    summary: str
    facts: Mapping[str, JsonValue] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.check.value,
            "title": CHECK_TITLES[self.check],
            "status": self.status.value,
            "summary": self.summary,
            "facts": dict(self.facts),
            "evidence": [item.to_json() for item in self.evidence],
        }


def overall_verdict(results: Iterable[CheckResult]) -> CheckStatus:
    """Fail if any check failed; otherwise unknown if any is unknown; pass only when all passed."""
    statuses = [r.status for r in results]
    if not statuses:
        return CheckStatus.UNKNOWN
    if CheckStatus.FAIL in statuses:
        return CheckStatus.FAIL
    if CheckStatus.UNKNOWN in statuses:
        return CheckStatus.UNKNOWN
    return CheckStatus.PASS
