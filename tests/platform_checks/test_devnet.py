"""The platform check against our own real node processes (``permitchain devnet``).

Today the devnet runs one validator per network, so these tests use one-node devnets: one node fails
the count, five URLs of one node are named as duplicates, five single-node networks of five chains
fail ``one_network``, and an idle node (no transactions, so no blocks) fails liveness. They run on the
real clock with short windows. The five-validator case waits for the shared ``devnet5`` fixture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from node.devnet.network import down, up
from permitchain.rule_profile import RuleProfile
from platform_checks.endpoints import parse_endpoint
from platform_checks.model import CheckId, CheckStatus
from platform_checks.runner import PlatformCheckRun, run_platform_check
from tests.platform_checks.conftest import local_settings

pytestmark = [pytest.mark.slow, pytest.mark.network]


def check(urls: list[str], profile: RuleProfile, **settings: Any) -> PlatformCheckRun:
    values: dict[str, Any] = {"liveness_window_s": 3.0, "liveness_poll_s": 1.0, "call_timeout_s": 5.0}
    values.update(settings)
    return asyncio.run(
        run_platform_check(
            [parse_endpoint(u) for u in urls], profile=profile, settings=local_settings(**values)
        )
    )


def send_transfers(description: dict[str, Any], count: int) -> None:
    """Make the node seal blocks (it produces a block when it has transactions)."""
    w3 = Web3(Web3.HTTPProvider(description["rpc"][0]))
    sender = Account.from_key(description["accounts"][0]["private_key"])
    for _ in range(count):
        tx = {
            "to": description["accounts"][1]["address"],
            "value": 1,
            "gas": 21_000,
            "gasPrice": 0,
            "nonce": w3.eth.get_transaction_count(sender.address),
            "chainId": description["chain_id"],
        }
        tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


@pytest.fixture(scope="module")
def devnets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    """Five one-node devnets, each its own chain (chain ids 7301..7305)."""
    dirs = [tmp_path_factory.mktemp(f"devnet{i}") for i in range(5)]

    def start(index: int) -> dict[str, Any]:
        return up(dirs[index], nodes=1, dev_accounts=2, chain_id=7301 + index)

    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            descriptions = list(pool.map(start, range(5)))
        send_transfers(descriptions[0], 2)
        yield descriptions
    finally:
        for directory in dirs:
            if (directory / "devnet.json").exists():
                down(directory)


def by_id(outcome: PlatformCheckRun) -> dict[CheckId, Any]:
    return {r.check: r for r in outcome.results}


def test_one_real_node_fails_the_count_and_is_seen_as_qbft(
    devnets: list[dict[str, Any]], rule_profile: RuleProfile
) -> None:
    outcome = check(devnets[0]["rpc"], rule_profile)
    results = by_id(outcome)
    assert results[CheckId.REACHABILITY].status is CheckStatus.PASS
    assert results[CheckId.NODE_COUNT].status is CheckStatus.FAIL
    assert results[CheckId.NODE_COUNT].facts["distinct_nodes"] == 1
    consensus = results[CheckId.CONSENSUS]
    assert consensus.facts["engine"] == "qbft"
    assert consensus.facts["validators"] == [v.lower() for v in devnets[0]["validators"]]
    assert consensus.facts["blocks_properly_sealed"] >= 2
    assert consensus.status is CheckStatus.FAIL  # one validator tolerates no fault
    assert outcome.verdict is CheckStatus.FAIL


def test_five_urls_of_one_real_node_are_named_duplicates(
    devnets: list[dict[str, Any]], rule_profile: RuleProfile
) -> None:
    base = devnets[1]["rpc"][0].rstrip("/")
    urls = [base, f"{base}/", f"{base}/?n=2", f"{base}/?n=3", f"{base}/?n=4"]
    outcome = check(urls, rule_profile)
    distinct = by_id(outcome)[CheckId.DISTINCT_NODES]
    assert distinct.status is CheckStatus.FAIL
    assert distinct.facts["duplicates"] == [urls]
    assert by_id(outcome)[CheckId.NODE_COUNT].status is CheckStatus.FAIL


def test_five_real_nodes_of_five_chains_fail(
    devnets: list[dict[str, Any]], rule_profile: RuleProfile
) -> None:
    outcome = check([d["rpc"][0] for d in devnets], rule_profile)
    network = by_id(outcome)[CheckId.ONE_NETWORK]
    assert network.status is CheckStatus.FAIL
    assert sorted(n["chain_id"] for n in network.facts["networks"]) == [7301, 7302, 7303, 7304, 7305]
    assert outcome.verdict is CheckStatus.FAIL


def test_idle_real_node_fails_liveness(devnets: list[dict[str, Any]], rule_profile: RuleProfile) -> None:
    outcome = check(devnets[2]["rpc"], rule_profile, liveness_window_s=2.0)
    liveness = by_id(outcome)[CheckId.LIVENESS]
    assert liveness.status is CheckStatus.FAIL
    assert "stalled" in liveness.summary
