"""Validator set changes by vote, on real processes: a sixth validator voted in by more than half of
five, then the quorum of six (4) needs it; one of six voted out, then the chain needs only four of the
remaining five and the removed node is not missed. Besu's ``qbft_`` methods and shapes throughout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node.network.cluster import (
    assert_same_chain,
    rpc,
    wait_final_everywhere,
    wait_for,
)
from tests.node.network.outage_net import OutageNet

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutageNet]:
    network = OutageNet.start(Path(tmp_path_factory.mktemp("votes")), nodes=5, candidates=1)
    try:
        yield network
    finally:
        network.stop()


def _validators(url: str, ref: str = "latest") -> set[str]:
    return {a.lower() for a in rpc(url, "qbft_getValidatorsByBlockNumber", [ref])}


def _drive_until(net: OutageNet, urls: list[str], done: object, what: str, timeout: float = 60) -> None:
    """Send transactions (each makes a block, proposers rotate) until ``done()`` holds."""
    sender = net.devnet.account(0)

    def step() -> bool:
        wait_final_everywhere(sender.transfer(urls[0], net.devnet.chain_id), urls)
        return bool(done())  # type: ignore[operator]

    wait_for(step, timeout=timeout, what=what, interval=0)


def test_add_a_sixth_validator_then_remove_one(net: OutageNet) -> None:
    urls = net.devnet.urls
    candidate = net.address(5)
    assert candidate.lower() not in _validators(urls[0])
    for url in urls[:3]:
        assert rpc(url, "qbft_proposeValidatorVote", [candidate, True]) is True
    assert rpc(urls[0], "qbft_getPendingVotes") == {candidate.lower(): True}
    assert rpc(urls[4], "qbft_getPendingVotes") == {}
    # A discarded vote is gone; proposing it again restores it.
    assert rpc(urls[3], "qbft_proposeValidatorVote", [candidate, True]) is True
    assert rpc(urls[3], "qbft_discardValidatorVote", [candidate]) is True
    assert rpc(urls[3], "qbft_discardValidatorVote", [candidate]) is False

    _drive_until(net, urls, lambda: candidate.lower() in _validators(urls[1]), "the candidate voted in")
    assert len(_validators(urls[2])) == 6
    assert rpc(urls[0], "qbft_getPendingVotes") == {}
    # The block that added it: the set listed there includes it, the one before does not.
    head = int(rpc(urls[0], "eth_blockNumber"), 16)
    first = next(n for n in range(head, 0, -1) if candidate.lower() not in _validators(urls[0], hex(n - 1)))
    assert candidate.lower() in _validators(urls[0], hex(first))
    block = rpc(urls[0], "eth_getBlockByNumber", [hex(first), False])
    assert candidate.lower() in {
        a.lower() for a in rpc(urls[0], "qbft_getValidatorsByBlockHash", [block["hash"]])
    }

    # Six validators: quorum 4. With two of the original five down, the new one makes the fourth.
    net.kill(3)
    net.kill(4)
    wait_final_everywhere(
        net.devnet.account(1).transfer(urls[5], net.devnet.chain_id), net.live_urls(), timeout=40
    )
    net.restart(3)
    net.restart(4)
    # The votes below ride in headers the voters propose: let the restarted two catch up first, or
    # their turns as proposer become round changes and their votes wait (seen on a loaded 2-core CI).
    wait_final_everywhere(
        net.devnet.account(1).transfer(urls[1], net.devnet.chain_id), net.live_urls(), timeout=60
    )

    # Remove node-0: more than half of six (four) must vote for it.
    leaving = net.address(0)
    for url in urls[1:5]:
        rpc(url, "qbft_proposeValidatorVote", [leaving, False])
    live = urls[1:]
    _drive_until(
        net, live, lambda: leaving.lower() not in _validators(urls[2]), "node-0 voted out", timeout=120
    )
    assert len(_validators(urls[2])) == 5
    # Five validators left, quorum 4: node-0 (no longer a validator) and one more may be down.
    net.kill(0)
    net.kill(1)
    wait_final_everywhere(
        net.devnet.account(2).transfer(urls[5], net.devnet.chain_id), net.live_urls(), timeout=40
    )
    signers = {m["address"].lower() for m in rpc(urls[2], "qbft_getSignerMetrics", [])}
    assert candidate.lower() in signers
    assert_same_chain(net.live_urls())
