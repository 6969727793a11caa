"""Whole runs against local networks of real HTTP JSON-RPC servers, with the clock under test control."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from permitchain.rule_profile import RuleProfile
from platform_checks.endpoints import parse_endpoint
from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.runner import PlatformCheckRun, run_platform_check
from platform_checks.settings import CheckSettings
from tests.platform_checks.chains import Chain, make_keys
from tests.platform_checks.conftest import FakeTime, build_backends, local_settings, running_network
from tests.platform_checks.rpc_servers import (
    NodeBackend,
    json_responder,
    lying_identity_responder,
    raw_responder,
    serve,
    serve_many,
    slow_responder,
)


def run(
    urls: list[str],
    profile: RuleProfile,
    fake_time: FakeTime,
    settings: CheckSettings | None = None,
    **kwargs: Any,
) -> PlatformCheckRun:
    return asyncio.run(
        run_platform_check(
            [parse_endpoint(u) for u in urls],
            profile=profile,
            settings=settings or local_settings(),
            clock=fake_time.clock,
            sleep=fake_time.sleep,
            **kwargs,
        )
    )


def by_id(outcome: PlatformCheckRun) -> dict[CheckId, CheckResult]:
    return {r.check: r for r in outcome.results}


def statuses(outcome: PlatformCheckRun) -> dict[str, str]:
    return {r.check.value: r.status.value for r in outcome.results}


@pytest.mark.parametrize(("engine", "f"), [("qbft", 1), ("ibft2", 1), ("clique", 2)])
def test_healthy_five_node_network_passes(
    rule_profile: RuleProfile, fake_time: FakeTime, engine: str, f: int
) -> None:
    with running_network(engine, 5) as net:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    assert statuses(outcome) == dict.fromkeys(statuses(outcome), "pass"), statuses(outcome)
    assert outcome.verdict is CheckStatus.PASS
    consensus = by_id(outcome)[CheckId.CONSENSUS].facts
    assert consensus["engine"] == engine
    assert consensus["validator_count"] == 5
    assert consensus["fault_tolerance"] == f
    assert consensus["median_block_interval_s"] == 1  # the test chains stamp one block per second
    count = by_id(outcome)[CheckId.NODE_COUNT].facts
    assert count["distinct_nodes"] == 5
    assert count["min_nodes"] == rule_profile.platform_min_nodes
    assert count["min_nodes_source"] == f"rule profile {rule_profile.key}"
    assert fake_time.slept == pytest.approx(1.0)


def test_one_node_fails_the_count(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 1, validators=4) as net:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.FAIL
    assert "1 distinct nodes, the minimum is 5" in by_id(outcome)[CheckId.NODE_COUNT].summary
    assert outcome.verdict is CheckStatus.FAIL


def test_min_nodes_override_is_recorded(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 4) as net:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time, min_nodes_override=4)
    assert outcome.verdict is CheckStatus.PASS
    assert outcome.body()["min_nodes_source"] == "override (--min-nodes)"


@pytest.mark.parametrize("admin_enabled", [True, False])
def test_same_node_behind_five_urls_is_named(
    rule_profile: RuleProfile, fake_time: FakeTime, admin_enabled: bool
) -> None:
    chain, backends = build_backends("qbft", 1, validators=5)
    if not admin_enabled:
        backends[0].disabled = {"admin_nodeInfo", "admin_peers"}
    with serve_many([json_responder(backends[0])] * 5) as servers:
        fake_time.on_sleep.append(lambda: chain.mine(1))
        urls = [s.url for s in servers]
        outcome = run(urls, rule_profile, fake_time)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.FAIL
    assert distinct.facts["duplicates"] == [urls]
    for url in urls:
        assert url in distinct.summary
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.FAIL
    assert backends[0].filters == {}  # our probe filters were removed again
    if not admin_enabled:
        probe = distinct.facts["filter_probe"]
        assert len(probe["shared_pairs"]) == 10  # every pair of the five URLs, each tested once
        assert probe["isolated_pairs"] == 0


def test_identity_unknown_is_never_a_pass(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5) as net:
        for b in net.backends:
            b.disabled = {"admin_nodeInfo", "admin_peers", "eth_newBlockFilter"}
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    assert by_id(outcome)[CheckId.DISTINCT_NODES].status is CheckStatus.UNKNOWN
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.UNKNOWN
    assert by_id(outcome)[CheckId.CONNECTIVITY].status is CheckStatus.PASS  # peer counts 4 each
    assert outcome.verdict is CheckStatus.UNKNOWN


def test_filter_probe_sees_distinct_nodes_without_admin(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with running_network("qbft", 5) as net:
        for b in net.backends:
            b.disabled = {"admin_nodeInfo"}
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.UNKNOWN
    assert distinct.facts["duplicates"] == []
    assert distinct.facts["filter_probe"]["ran"] is True


def test_five_nodes_of_five_chains_fail(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    backends: list[NodeBackend] = []
    for i in range(5):
        _, (backend,) = build_backends("qbft", 1, validators=4, chain_id=1337, salt=i)
        backends.append(backend)
    with serve_many([json_responder(b) for b in backends]) as servers:

        def mine_all() -> None:
            for b in backends:
                b.chain.mine(1)

        fake_time.on_sleep.append(mine_all)
        outcome = run([s.url for s in servers], rule_profile, fake_time)
    network = by_id(outcome)[CheckId.ONE_NETWORK]
    assert network.status is CheckStatus.FAIL
    assert len(network.facts["networks"]) == 5
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.FAIL
    assert outcome.verdict is CheckStatus.FAIL


def test_node_lying_about_its_chain_id_is_caught_by_genesis(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    chain, backends = build_backends("qbft", 5)
    liar_chain = Chain("qbft", make_keys(4, seed=7), chain_id=chain.chain_id)
    backends[4] = NodeBackend(liar_chain, backends[4].node_id, peers=backends[4].peers)
    with serve_many([json_responder(b) for b in backends]) as servers:
        fake_time.on_sleep.extend([lambda: chain.mine(1), lambda: liar_chain.mine(1)])
        outcome = run([s.url for s in servers], rule_profile, fake_time)
    network = by_id(outcome)[CheckId.ONE_NETWORK]
    assert network.status is CheckStatus.FAIL
    assert servers[4].url in network.summary
    assert by_id(outcome)[CheckId.NODE_COUNT].facts["distinct_nodes"] == 4


def test_stalled_network_fails_liveness_after_the_window(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with running_network("qbft", 5) as net:
        started = time.monotonic()
        outcome = run(
            net.urls,
            rule_profile,
            fake_time,
            settings=local_settings(liveness_window_s=300.0, liveness_poll_s=30.0),
        )
        elapsed = time.monotonic() - started
    liveness = by_id(outcome)[CheckId.LIVENESS]
    assert liveness.status is CheckStatus.FAIL
    assert "stalled" in liveness.summary
    assert fake_time.slept == pytest.approx(300.0)
    assert elapsed < 30  # the 300 s window passed on the injected clock, not the real one


def test_lagging_node_fails_liveness(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5) as net:
        net.backends[2].head_offset = 6
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    liveness = by_id(outcome)[CheckId.LIVENESS]
    assert liveness.status is CheckStatus.FAIL
    assert liveness.facts["head_spread"] == 6


def test_two_islands_fail_connectivity(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5) as net:
        ids = [b.node_id for b in net.backends]
        for i, b in enumerate(net.backends):
            island = ids[:2] if i < 2 else ids[2:]
            b.peers = [p for p in island if p != b.node_id]
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    connectivity = by_id(outcome)[CheckId.CONNECTIVITY]
    assert connectivity.status is CheckStatus.FAIL
    assert "2 separate parts" in connectivity.summary


def test_single_validator_has_no_fault_tolerance(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5, validators=1) as net:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    consensus = by_id(outcome)[CheckId.CONSENSUS]
    assert consensus.status is CheckStatus.FAIL
    assert "tolerates no faulty validator" in consensus.summary


def test_unidentifiable_engine_is_unknown(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5, blocks=0) as net:
        net.chain.mine(10, tamper_hash=True)
        fake_time.on_sleep.append(lambda: net.chain.mine(1, tamper_hash=True))
        outcome = run(net.urls, rule_profile, fake_time)
    consensus = by_id(outcome)[CheckId.CONSENSUS]
    assert consensus.status is CheckStatus.UNKNOWN
    assert "RPC answers for: qbft" in consensus.summary


def test_hostile_endpoints_in_the_set_fail_reachability_quickly(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with (
        running_network("qbft", 5) as net,
        serve(slow_responder(5.0)) as slow,
        serve(raw_responder(b"<html>")) as garbage,
    ):
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        started = time.monotonic()
        outcome = run(
            [*net.urls, slow.url, garbage.url],
            rule_profile,
            fake_time,
            settings=local_settings(call_timeout_s=0.5),
        )
        elapsed = time.monotonic() - started
    reach = by_id(outcome)[CheckId.REACHABILITY]
    assert reach.status is CheckStatus.FAIL
    assert reach.facts["unreachable"] == [slow.url, garbage.url]
    errors = [e.error for e in reach.evidence if e.source == slow.url]
    assert errors and all(e is not None and "within 0.5 s" in e for e in errors)
    assert by_id(outcome)[CheckId.CONSENSUS].status is CheckStatus.PASS
    assert elapsed < 15


def test_service_settings_refuse_loopback_endpoints(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    with running_network("qbft", 5) as net:
        outcome = run(net.urls, rule_profile, fake_time, settings=local_settings(allow_private=False))
        assert all(s.seen_headers == [] for s in net.servers)
    reach = by_id(outcome)[CheckId.REACHABILITY]
    assert reach.status is CheckStatus.FAIL
    assert any(e.error and "non-public" in e.error for e in reach.evidence)
    assert outcome.verdict is CheckStatus.FAIL


def test_forked_nodes_fail_liveness(rule_profile: RuleProfile, fake_time: FakeTime) -> None:
    keys = make_keys(5)
    main_chain, fork_chain = Chain("qbft", keys), Chain("qbft", keys)
    main_chain.mine(10)
    fork_chain.mine(10)
    assert main_chain.blocks == fork_chain.blocks
    other_proposer = [keys[4], keys[0], keys[1], keys[2]]
    fork_chain.mine(2, sealers=other_proposer)
    main_chain.mine(2)
    ids = [f"{i:02x}".ljust(128, "c") for i in range(5)]
    backends = [
        NodeBackend(main_chain if i < 3 else fork_chain, ids[i], peers=[p for p in ids if p != ids[i]])
        for i in range(5)
    ]
    fake_time.on_sleep.extend(
        [lambda: main_chain.mine(1), lambda: fork_chain.mine(1, sealers=other_proposer)]
    )
    with serve_many([json_responder(b) for b in backends]) as servers:
        outcome = run([s.url for s in servers], rule_profile, fake_time)
    assert by_id(outcome)[CheckId.ONE_NETWORK].status is CheckStatus.PASS
    liveness = by_id(outcome)[CheckId.LIVENESS]
    assert liveness.status is CheckStatus.FAIL
    assert "forked" in liveness.summary
    assert sorted(len(v) for v in liveness.facts["common_block_hashes"].values()) == [2, 3]


def test_one_node_claiming_five_identities_is_caught_by_the_filter_probe(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    chain, (backend,) = build_backends("qbft", 1, validators=5)
    claimed = [f"{i:02x}".ljust(128, "d") for i in range(5)]
    with serve_many([lying_identity_responder(backend, c) for c in claimed]) as servers:
        fake_time.on_sleep.append(lambda: chain.mine(1))
        outcome = run([s.url for s in servers], rule_profile, fake_time)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.FAIL
    assert distinct.facts["duplicates"] == [[s.url for s in servers]]
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.FAIL


def test_phase_deadline_cuts_an_endpoint_slower_than_the_phase(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with running_network("qbft", 5) as net, serve(slow_responder(4.0)) as slow:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        started = time.monotonic()
        outcome = run(
            [*net.urls, slow.url],
            rule_profile,
            fake_time,
            settings=local_settings(call_timeout_s=10.0, check_timeout_s=1.5),
        )
        elapsed = time.monotonic() - started
    reach = by_id(outcome)[CheckId.REACHABILITY]
    assert reach.facts["unreachable"] == [slow.url]
    assert any(e.error == "check phase exceeded 1.5 s" for e in reach.evidence if e.source == slow.url)
    assert elapsed < 12


def test_signing_keys_establish_identity_without_admin(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with running_network("qbft", 5) as net:
        for backend, address in zip(net.backends, net.chain.validator_addresses(), strict=True):
            backend.disabled = {"admin_nodeInfo", "admin_peers", "eth_newBlockFilter"}
            backend.coinbase = address
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.PASS
    assert [n["node_id"] for n in distinct.facts["nodes"]] == [
        "signer:" + a for a in net.chain.validator_addresses()
    ]
    assert outcome.verdict is CheckStatus.PASS


def test_two_processes_with_one_signing_key_count_once(
    rule_profile: RuleProfile, fake_time: FakeTime
) -> None:
    with running_network("qbft", 5) as net:
        addresses = net.chain.validator_addresses()
        for backend, address in zip(net.backends, addresses, strict=True):
            backend.coinbase = address
        net.backends[4].coinbase = addresses[3]
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = run(net.urls, rule_profile, fake_time)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.FAIL
    assert distinct.facts["duplicates"] == [[net.urls[3], net.urls[4]]]
    assert by_id(outcome)[CheckId.NODE_COUNT].facts["distinct_nodes"] == 4
