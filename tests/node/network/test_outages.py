"""Validators crash, stay down, come back, come back with an empty data directory: the chain keeps
finalizing while a quorum (4 of 5) is up, halts without a fork below it, and resumes when one returns;
a returning validator catches up by block sync. An observer (node-5, a verifier's node that never
votes) follows the chain by sync throughout: every finality check below includes it. Real processes,
SIGKILL, one network per module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.network.cluster import (
    assert_same_chain,
    height,
    rpc,
    try_rpc,
    wait_final_everywhere,
    wait_for,
)
from tests.node.network.outage_net import OutageNet

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutageNet]:
    network = OutageNet.start(Path(tmp_path_factory.mktemp("outages")), observers=1)
    try:
        yield network
    finally:
        network.stop()


def _catch_up(net: OutageNet, index: int) -> None:
    target = max(height(u) for u in net.live_urls() if u != net.url(index))

    def level() -> bool:
        head = try_rpc(net.url(index), "eth_blockNumber")
        return head is not None and int(head, 16) >= target

    wait_for(level, timeout=30, what=f"node-{index} at height {target}")


def test_kill_one_then_two_then_restart(net: OutageNet) -> None:
    sender = net.devnet.account(0)
    net.kill(4)
    # Four of five are a quorum: transactions still finalize, whoever the proposer would have been.
    for i in range(3):
        wait_final_everywhere(sender.transfer(net.url(i % 4), net.devnet.chain_id), net.live_urls())
    net.kill(3)
    stuck = sender.transfer(net.url(0), net.devnet.chain_id)
    before = [height(u) for u in net.live_urls()]
    time.sleep(3.0)  # several round timeouts: three validators cannot reach a quorum of four
    assert [height(u) for u in net.live_urls()] == before
    assert try_rpc(net.url(0), "eth_getTransactionReceipt", [stuck]) is None
    assert_same_chain(net.live_urls())
    net.restart(3)
    wait_final_everywhere(stuck, net.live_urls(), timeout=40)
    assert_same_chain(net.live_urls())


def test_a_validator_down_for_many_blocks_catches_up(net: OutageNet) -> None:
    sender = net.devnet.account(1)
    behind = height(net.url(0))
    for i in range(6):
        wait_final_everywhere(sender.transfer(net.url(i % 4), net.devnet.chain_id), net.live_urls())
    assert height(net.url(0)) >= behind + 6
    net.restart(4)  # killed in the previous test, down for all those blocks
    _catch_up(net, 4)
    # It takes part again: with it, any single validator may now fail and the chain goes on.
    net.kill(0)
    wait_final_everywhere(sender.transfer(net.url(4), net.devnet.chain_id), net.live_urls(), timeout=40)
    net.restart(0)
    _catch_up(net, 0)
    assert_same_chain(net.devnet.urls)


def test_a_validator_restarted_with_an_empty_data_directory_rejoins(net: OutageNet) -> None:
    sender = net.devnet.account(2)
    net.kill(2)
    wait_final_everywhere(sender.transfer(net.url(0), net.devnet.chain_id), net.live_urls())
    net.restart(2, wipe=True)
    _catch_up(net, 2)
    # Now stop another one: the wiped validator is needed for the quorum of four, so finality proves
    # it votes again (and did not sit idle after syncing, besu#8307).
    net.kill(1)
    tx = sender.transfer(net.url(2), net.devnet.chain_id)
    wait_final_everywhere(tx, net.live_urls(), timeout=40)
    net.restart(1)
    _catch_up(net, 1)
    assert_same_chain(net.devnet.urls)


def test_the_observer_follows_without_voting(net: OutageNet) -> None:
    observer = net.url(5)
    assert rpc(observer, "qbft_getRound") is None
    assert rpc(observer, "eth_syncing") is False
    validators = {v.lower() for v in rpc(observer, "qbft_getValidatorsByBlockNumber", ["latest"])}
    assert net.address(5).lower() not in validators
    signers = {m["address"].lower() for m in rpc(observer, "qbft_getSignerMetrics", ["0x1"])}
    assert signers <= validators
    tx = net.devnet.account(3).transfer(observer, net.devnet.chain_id)  # it gossips what it is sent
    wait_final_everywhere(tx, net.devnet.urls)
    assert_same_chain(net.devnet.urls)
