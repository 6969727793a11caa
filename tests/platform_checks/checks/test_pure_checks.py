"""Pure checks fed with hand-made observations: the decision rules without any network."""

from __future__ import annotations

from platform_checks.checks.distinct_nodes import NodeGroups
from platform_checks.checks.liveness import check_liveness
from platform_checks.checks.node_count import check_node_count
from platform_checks.model import CheckId, CheckResult, CheckStatus, overall_verdict
from platform_checks.observations import HeadPolls

T0, T1, T2 = "2026-03-02T06:00:00Z", "2026-03-02T06:00:02Z", "2026-03-02T06:00:04Z"


def polls(series: dict[str, list[int | None]]) -> HeadPolls:
    stamps = [T0, T1, T2]
    return HeadPolls(
        polls={u: [(stamps[i], h) for i, h in enumerate(s)] for u, s in series.items()},
        window_s=30.0,
        waited_s=4.0,
    )


def test_liveness_pass_and_spread() -> None:
    result = check_liveness(polls({"a": [10, 12], "b": [9, 11]}), ["a", "b"], max_head_lag=3)
    assert result.status is CheckStatus.PASS
    assert result.facts["head_spread"] == 1
    assert [e.observed_at for e in result.evidence] == [T0, T1, T0, T1]


def test_liveness_failures() -> None:
    assert "stalled" in check_liveness(polls({"a": [5, 5], "b": [5, 5]}), ["a", "b"], 3).summary
    one = check_liveness(polls({"a": [5, 6], "b": [5, 5]}), ["a", "b"], 3)
    assert one.status is CheckStatus.FAIL and one.facts["stalled"] == ["b"]
    back = check_liveness(polls({"a": [5, 3, 7], "b": [5, 6, 7]}), ["a", "b"], 3)
    assert back.status is CheckStatus.FAIL and back.facts["went_backwards"] == ["a"]
    lag = check_liveness(polls({"a": [5, 20], "b": [5, 6]}), ["a", "b"], 3)
    assert lag.status is CheckStatus.FAIL and lag.facts["head_spread"] == 14


def test_liveness_unknown_when_heads_cannot_be_followed() -> None:
    result = check_liveness(polls({"a": [5, 6], "b": [None, None]}), ["a", "b"], 3)
    assert result.status is CheckStatus.UNKNOWN


def groups(n: int, identified: bool) -> NodeGroups:
    return NodeGroups(
        groups=tuple((f"u{i}",) for i in range(n)),
        node_ids=tuple((f"id{i}" if identified else None) for i in range(n)),
        identified=identified,
    )


def test_node_count_rules() -> None:
    source = "rule profile test@1"
    assert check_node_count(groups(5, True), 5, min_nodes_source=source).status is CheckStatus.PASS
    assert check_node_count(groups(4, True), 5, min_nodes_source=source).status is CheckStatus.FAIL
    assert check_node_count(groups(7, False), 5, min_nodes_source=source).status is CheckStatus.UNKNOWN
    upper = check_node_count(groups(3, False), 5, min_nodes_source=source)
    assert upper.status is CheckStatus.FAIL and "at most 3" in upper.summary


def test_overall_verdict() -> None:
    def r(status: CheckStatus) -> CheckResult:
        return CheckResult(CheckId.LIVENESS, status, "")

    assert overall_verdict([r(CheckStatus.PASS), r(CheckStatus.PASS)]) is CheckStatus.PASS
    assert overall_verdict([r(CheckStatus.PASS), r(CheckStatus.UNKNOWN)]) is CheckStatus.UNKNOWN
    assert overall_verdict([r(CheckStatus.UNKNOWN), r(CheckStatus.FAIL)]) is CheckStatus.FAIL
    assert overall_verdict([]) is CheckStatus.UNKNOWN
