"""The platform check against our own five-validator devnet (the shared ``devnet5`` fixture)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from permitchain.rule_profile import RuleProfile
from platform_checks.endpoints import parse_endpoint
from platform_checks.model import CheckId, CheckStatus
from platform_checks.runner import run_platform_check
from tests.node.network.cluster import Devnet
from tests.platform_checks.conftest import local_settings

pytestmark = [pytest.mark.slow, pytest.mark.network]


class Traffic:
    """Sends small transfers in the background so a network that seals only with transactions lives."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.description = description
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        accounts = self.description.get("accounts") or []
        if len(accounts) < 2:
            return
        w3 = Web3(Web3.HTTPProvider(self.description["rpc"][0]))
        sender = Account.from_key(accounts[0]["private_key"])
        while not self.stop.wait(0.5):
            tx = {
                "to": accounts[1]["address"],
                "value": 1,
                "gas": 21_000,
                "gasPrice": 0,
                "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
                "chainId": w3.eth.chain_id,
            }
            w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def test_our_five_validator_devnet_passes(devnet5: Devnet, rule_profile: RuleProfile) -> None:
    description = devnet5.description
    urls = devnet5.urls
    assert len(urls) == 5
    with Traffic(description):
        outcome = asyncio.run(
            run_platform_check(
                [parse_endpoint(u) for u in urls],
                profile=rule_profile,
                settings=local_settings(liveness_window_s=20.0, liveness_poll_s=1.0, call_timeout_s=5.0),
            )
        )
    results = {r.check: r for r in outcome.results}
    assert outcome.verdict is CheckStatus.PASS, {r.check.value: r.summary for r in outcome.results}
    consensus = results[CheckId.CONSENSUS].facts
    assert consensus["engine"] == "qbft"
    assert consensus["validator_count"] == 5
    assert consensus["fault_tolerance"] == 1
    assert results[CheckId.NODE_COUNT].facts["distinct_nodes"] == 5


def wait_until_idle(devnet: Devnet, quiet_s: float = 2.0, limit_s: float = 30.0) -> None:
    """Wait until no new block has appeared for ``quiet_s`` (earlier traffic has been sealed)."""
    w3 = Web3(Web3.HTTPProvider(devnet.urls[0]))
    deadline = time.monotonic() + limit_s
    last, since = w3.eth.block_number, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        head = w3.eth.block_number
        if head != last:
            last, since = head, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
    raise AssertionError("the devnet kept producing blocks without traffic")


def test_our_idle_devnet_fails_liveness(devnet5: Devnet, rule_profile: RuleProfile) -> None:
    with Traffic(devnet5.description):
        time.sleep(1.5)  # some sealed blocks to judge, whichever test ran before
    wait_until_idle(devnet5)
    outcome = asyncio.run(
        run_platform_check(
            [parse_endpoint(u) for u in devnet5.urls],
            profile=rule_profile,
            settings=local_settings(liveness_window_s=3.0, liveness_poll_s=1.0, call_timeout_s=5.0),
        )
    )
    results = {r.check: r for r in outcome.results}
    assert results[CheckId.LIVENESS].status is CheckStatus.FAIL
    assert "stalled" in results[CheckId.LIVENESS].summary
    assert results[CheckId.NODE_COUNT].status is CheckStatus.PASS
    assert results[CheckId.CONSENSUS].status is CheckStatus.PASS
    assert outcome.verdict is CheckStatus.FAIL
