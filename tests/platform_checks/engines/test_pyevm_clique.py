"""The whole check against five servers sharing a real py-evm Clique chain (seals validated by py-evm)."""

from __future__ import annotations

import asyncio

from permitchain.rule_profile import RuleProfile
from platform_checks.endpoints import parse_endpoint
from platform_checks.model import CheckId, CheckStatus
from platform_checks.runner import run_platform_check
from tests.platform_checks.chains import make_keys
from tests.platform_checks.conftest import FakeTime, local_settings, node_id
from tests.platform_checks.engines.pyevm_clique import PyEvmCliqueChain
from tests.platform_checks.rpc_servers import NodeBackend, json_responder, serve_many


def test_real_pyevm_clique_network_passes(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    chain = PyEvmCliqueChain(make_keys(5, seed=3))
    chain.mine(9)
    ids = [node_id(i, 9) for i in range(5)]
    backends = [NodeBackend(chain, ids[i], peers=[p for p in ids if p != ids[i]]) for i in range(5)]  # type: ignore[arg-type]
    fake_time.on_sleep.append(lambda: chain.mine(1))
    with serve_many([json_responder(b) for b in backends]) as servers:
        outcome = asyncio.run(
            run_platform_check(
                [parse_endpoint(s.url) for s in servers],
                profile=rule_profile,
                settings=local_settings(),
                clock=fake_time.clock,
                sleep=fake_time.sleep,
            )
        )
    results = {r.check: r for r in outcome.results}
    assert outcome.verdict is CheckStatus.PASS, {r.check.value: r.summary for r in outcome.results}
    facts = results[CheckId.CONSENSUS].facts
    assert facts["engine"] == "clique"
    assert facts["validator_count"] == 5
    assert facts["fault_tolerance"] == 2
    assert set(facts["distinct_sealers"]) == set(chain.validator_addresses())
