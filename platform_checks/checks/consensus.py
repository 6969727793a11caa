"""Check 7: a real consensus engine runs and its validators actually seal recent blocks.

An engine counts as identified only when recent headers prove it (layout and hashing rule); an RPC
namespace that answers is supporting evidence, never enough alone. Passing also needs every checked
block properly sealed (BFT: a quorum of distinct validators' commit seals; Clique: an authorised
signer respecting the signing limit), a validator set that tolerates at least one fault, and enough
distinct sealers over the window to show the set is really in use.
"""

from __future__ import annotations

import itertools
import statistics

from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.observations import ConsensusObservation


def check_consensus(observation: ConsensusObservation) -> CheckResult:
    evidence = observation.evidence + tuple(e for f in observation.findings for e in f.evidence)
    stamps = [h.timestamp for h in observation.headers]
    intervals = [b - a for a, b in itertools.pairwise(stamps)]
    facts: dict[str, object] = {
        "reference_node": observation.reference,
        "headers_read": [h.number for h in observation.headers],
        "median_block_interval_s": statistics.median(intervals) if intervals else None,
        "engines_probed": {
            f.engine: {"rpc": f.identified_by_rpc, "headers": f.identified_by_headers}
            for f in observation.findings
        },
    }
    if observation.error is not None:
        return CheckResult(CheckId.CONSENSUS, CheckStatus.UNKNOWN, observation.error, facts, evidence)
    identified = [f for f in observation.findings if f.identified_by_headers]
    if not identified:
        claimed = [f.engine for f in observation.findings if f.identified_by_rpc]
        problems = [p for f in observation.findings for p in f.problems]
        facts["problems"] = problems
        hint = f" (RPC answers for: {', '.join(claimed)})" if claimed else ""
        summary = f"no known consensus engine is proven by the block headers{hint}"
        return CheckResult(CheckId.CONSENSUS, CheckStatus.UNKNOWN, summary, facts, evidence)
    finding = identified[0]
    n = len(finding.validators)
    facts.update(
        {
            "engine": finding.engine,
            "identified_by_rpc": finding.identified_by_rpc,
            "identified_by_headers": True,
            "validators": list(finding.validators),
            "validators_from_rpc": (
                list(finding.validators_from_rpc) if finding.validators_from_rpc is not None else None
            ),
            "validator_count": n,
            "quorum": finding.quorum,
            "fault_tolerance": finding.fault_tolerance,
            "tolerance_model": finding.tolerance_model,
            "blocks_checked": finding.blocks_checked,
            "blocks_properly_sealed": finding.blocks_properly_sealed,
            "distinct_sealers": list(finding.distinct_sealers),
            "required_distinct_sealers": finding.required_distinct_sealers,
            "problems": list(finding.problems),
        }
    )
    name = finding.engine.upper()
    if finding.problems:
        summary = f"{name}: " + "; ".join(finding.problems[:3])
        return CheckResult(CheckId.CONSENSUS, CheckStatus.FAIL, summary, facts, evidence)
    if finding.blocks_checked == 0:
        summary = f"{name} headers, but no sealed block beyond genesis to check seals on"
        return CheckResult(CheckId.CONSENSUS, CheckStatus.UNKNOWN, summary, facts, evidence)
    if not finding.fault_tolerance:
        summary = f"{name} with {n} validator(s) tolerates no faulty validator"
        return CheckResult(CheckId.CONSENSUS, CheckStatus.FAIL, summary, facts, evidence)
    required = finding.required_distinct_sealers or 0
    if len(finding.distinct_sealers) < required:
        summary = (
            f"{name}: only {len(finding.distinct_sealers)} distinct sealers over "
            f"{finding.blocks_checked} blocks, {required} needed"
        )
        return CheckResult(CheckId.CONSENSUS, CheckStatus.FAIL, summary, facts, evidence)
    summary = (
        f"{name}: {n} validators, f = {finding.fault_tolerance}, "
        f"{finding.blocks_properly_sealed}/{finding.blocks_checked} recent blocks properly sealed by "
        f"{len(finding.distinct_sealers)} distinct validators"
    )
    return CheckResult(CheckId.CONSENSUS, CheckStatus.PASS, summary, facts, evidence)
