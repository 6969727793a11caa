"""Check 6: the network produces blocks within the window and the nodes keep up with each other.

Every node's head must move past where it was at the start, and at the end all heads must lie within
``max_head_lag`` blocks. A head that goes backwards is named (a node that lies or reorganises), and
all nodes must report the same hash for the highest block they all reached: live but forked nodes
(split brain) are not one network.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from platform_checks.model import CheckId, CheckResult, CheckStatus, Evidence
from platform_checks.observations import HeadPolls


def check_liveness(polls: HeadPolls, urls: Sequence[str], max_head_lag: int) -> CheckResult:
    evidence: list[Evidence] = []
    stalled: list[str] = []
    backwards: list[str] = []
    unknown: list[str] = []
    finals: dict[str, int] = {}
    for url in urls:
        series = list(polls.polls.get(url, ()))
        known = [(at, h) for at, h in series if h is not None]
        if len(known) < 2:
            unknown.append(url)
        else:
            evidence.append(Evidence(url, "eth_blockNumber", known[0][0], value=known[0][1]))
            evidence.append(Evidence(url, "eth_blockNumber", known[-1][0], value=known[-1][1]))
            heights = [h for _, h in known]
            if any(b < a for a, b in itertools.pairwise(heights)):
                backwards.append(url)
            if heights[-1] <= heights[0]:
                stalled.append(url)
            finals[url] = heights[-1]
        if url in polls.errors:
            evidence.append(Evidence(url, "eth_blockNumber", None, error=polls.errors[url]))
    lag = (max(finals.values()) - min(finals.values())) if finals else None
    common_hashes: dict[str, list[str]] = {}
    for url in urls:
        reading = polls.common_block.get(url)
        if reading is not None:
            evidence.append(reading.evidence())
            if reading.ok:
                common_hashes.setdefault(reading.value, []).append(url)
    facts = {
        "window_s": polls.window_s,
        "waited_s": round(polls.waited_s, 3),
        "final_heads": finals,
        "head_spread": lag,
        "max_head_lag": max_head_lag,
        "stalled": stalled,
        "went_backwards": backwards,
        "common_block": (min(finals.values()) if finals else None),
        "common_block_hashes": common_hashes,
    }
    ev = tuple(evidence)
    if not urls:
        return CheckResult(CheckId.LIVENESS, CheckStatus.UNKNOWN, "no endpoint on the network", facts, ev)
    if finals and len(stalled) == len(finals):
        summary = f"no new block on any node within {polls.window_s:g} s: the network is stalled"
        return CheckResult(CheckId.LIVENESS, CheckStatus.FAIL, summary, facts, ev)
    if stalled:
        summary = f"no new block within {polls.window_s:g} s on: {', '.join(stalled)}"
        return CheckResult(CheckId.LIVENESS, CheckStatus.FAIL, summary, facts, ev)
    if backwards:
        summary = f"head went backwards on: {', '.join(backwards)}"
        return CheckResult(CheckId.LIVENESS, CheckStatus.FAIL, summary, facts, ev)
    if len(common_hashes) > 1:
        summary = f"nodes disagree on block {facts['common_block']}: the chain has forked"
        return CheckResult(CheckId.LIVENESS, CheckStatus.FAIL, summary, facts, ev)
    if lag is not None and lag > max_head_lag:
        summary = f"heads {lag} blocks apart, at most {max_head_lag} allowed"
        return CheckResult(CheckId.LIVENESS, CheckStatus.FAIL, summary, facts, ev)
    if unknown:
        summary = f"heads could not be followed on: {', '.join(unknown)}"
        return CheckResult(CheckId.LIVENESS, CheckStatus.UNKNOWN, summary, facts, ev)
    summary = f"all {len(finals)} nodes advanced within {polls.waited_s:.1f} s; heads {lag} apart"
    return CheckResult(CheckId.LIVENESS, CheckStatus.PASS, summary, facts, ev)
