"""Whole-network scenarios on the deterministic simulation (5 validators unless stated: q=4, f=1)."""

from __future__ import annotations

import pytest
from eth_typing import Address

from node.consensus.qbft.actions import RejectReason
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.ports import recover_address
from node.consensus.qbft.proposer import proposer_for_round
from node.consensus.qbft.quorum import quorum
from node.consensus.qbft.simulation import INVALID_PAYLOAD, SimNetwork
from tests.node.consensus.qbft.byzantine import Equivocator, SealForger

KEYS = [bytes([i + 1]) * 32 for i in range(7)]


def network(n: int = 5, **kwargs) -> SimNetwork:
    return SimNetwork(KEYS[:n], **kwargs)


def alive_reached(net: SimNetwork, height: int) -> bool:
    return all(node.head_number >= height for node in net.nodes if node.alive)


def index_of(net: SimNetwork, address) -> int:
    return next(n.index for n in net.nodes if n.address == address)


def first_proposer(net: SimNetwork) -> int:
    """Index of the node proposing height 1, round 0."""
    return index_of(net, proposer_for_round(net.validators(1), None, 0))


def assert_safe(net: SimNetwork) -> None:
    assert net.forks() == {}
    assert net.equivocations == []


def assert_seals_valid(net: SimNetwork) -> None:
    for node in net.nodes:
        for committed in node.chain:
            validators = set(net.validators(committed.block.number))
            digest = node.port.seal_hash(committed.block, committed.round)
            signers = {recover_address(digest, seal) for seal in committed.seals}
            assert signers <= validators
            assert len(signers) >= quorum(len(validators))


def test_five_honest_validators_commit_the_same_successive_blocks() -> None:
    net = network()
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 10), max_time=60)
    assert_safe(net)
    assert_seals_valid(net)
    chain = net.nodes[0].chain
    assert [c.block.number for c in chain[:10]] == list(range(1, 11))
    assert all(c.round == 0 for c in chain)
    for node in net.nodes:
        assert [c.block.hash for c in node.chain[:10]] == [c.block.hash for c in chain[:10]]
    # Every validator proposed: rotation after the previous proposer.
    assert {c.block.proposer for c in chain} == {n.address for n in net.nodes}
    assert not [r for node in net.nodes for r in node.rejections if r.fault]


def test_one_crashed_validator_does_not_stop_the_chain() -> None:
    net = network()
    net.crash(2)
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 6), max_time=200)
    assert_safe(net)
    # The crashed validator's turns were taken over by the next one after a round change.
    assert any(c.round > 0 for c in net.nodes[0].chain)
    assert net.nodes[2].chain == []


def test_round_change_when_the_proposer_is_down() -> None:
    net = network()
    first = first_proposer(net)  # proposer of height 1, round 0
    net.crash(first)
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 1), max_time=60)
    block = next(n for n in net.nodes if n.alive).chain[0]
    assert block.round == 1
    assert block.block.proposer == proposer_for_round(net.validators(1), None, 1)
    assert_safe(net)


def test_two_crashed_validators_stop_the_chain_and_one_restart_resumes_it() -> None:
    net = network()
    net.crash(0)
    net.crash(1)
    net.start()
    assert not net.run_until(lambda n: any(node.chain for node in n.nodes), max_time=120)
    rounds = [node.machine.round for node in net.nodes if node.alive]
    assert min(rounds) >= 3  # they kept trying
    net.restart(1)
    assert net.run_until(lambda n: alive_reached(n, 3), max_time=net.now + 120)
    assert_safe(net)
    assert_seals_valid(net)


def test_partition_three_two_commits_nothing_and_heals_without_fork() -> None:
    net = network()
    net.partition({0, 1, 2}, {3, 4})
    net.start()
    assert not net.run_until(lambda n: any(node.chain for node in n.nodes), max_time=200)
    net.heal()
    healed_at = net.now
    assert net.run_until(lambda n: alive_reached(n, 3), max_time=net.now + 120)
    assert_safe(net)
    # Capped timers plus fast recovery: the first block after healing comes within two capped rounds.
    first_commit = min(c.block.timestamp_ms for c in net.nodes[0].chain) / 1000
    assert first_commit - healed_at <= 2 * net.config.max_round_timeout + 2


def test_partition_of_the_proposer_with_a_quorum_side() -> None:
    net = network()
    proposer = first_proposer(net)
    rest = [i for i in range(5) if i != proposer]
    net.partition({proposer}, rest)
    net.start()
    assert net.run_until(lambda n: all(n.nodes[i].head_number >= 2 for i in rest), max_time=120)
    assert net.nodes[proposer].chain == []
    net.heal()
    assert net.run_until(lambda n: alive_reached(n, 4), max_time=net.now + 60)  # syncs and rejoins
    assert_safe(net)


@pytest.mark.slow
def test_round_timeouts_stay_capped_through_a_long_outage() -> None:
    config = QbftConfig(block_period=1.0, request_timeout=1.0, max_round_timeout=8.0)
    net = network(config=config)
    net.crash(0)
    net.crash(1)
    net.start()
    net.run_for(2000)  # uncapped doubling would now be in rounds lasting ~1000 s
    assert all(node.chain == [] for node in net.nodes)
    assert min(node.machine.round for node in net.nodes if node.alive) > 200
    net.restart(0)
    restarted_at = net.now
    assert net.run_until(lambda n: alive_reached(n, 1), max_time=net.now + 60)
    assert net.now - restarted_at <= 2 * config.max_round_timeout + 2
    assert_safe(net)


def test_byzantine_proposer_with_two_proposals_causes_no_fork() -> None:
    net = network()
    proposer = first_proposer(net)
    honest = [i for i in range(5) if i != proposer]
    equivocator = Equivocator(net, proposer, split=honest[:2])
    net.tamper = equivocator
    net.start()
    assert net.run_until(lambda n: all(n.nodes[i].head_number >= 3 for i in honest), max_time=200)
    assert equivocator.rewritten > 0
    assert_safe(net)
    assert_seals_valid(net)
    # The attack took effect: honest validators prepared different blocks in round 0 of height 1.
    digests = {d for (a, kind, h, r), d in net.sent_votes.items() if kind == "prepare" and (h, r) == (1, 0)}
    assert len(digests) == 2


def test_forged_seals_are_ignored_and_reported() -> None:
    net = network()
    forger = SealForger(net, 4)
    net.tamper = forger
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 4), max_time=120)
    assert forger.rewritten > 0
    assert_safe(net)
    assert_seals_valid(net)  # no committed block carries a forged seal
    forged = [r for node in net.nodes[:4] for r in node.rejections if r.reason is RejectReason.FORGED_SEAL]
    assert forged and all(r.sender == net.nodes[4].address and r.fault for r in forged)


def test_invalid_blocks_from_a_byzantine_proposer_are_never_committed() -> None:
    net = network()
    proposer = first_proposer(net)
    net.nodes[proposer].block_payload = lambda height, rnd: INVALID_PAYLOAD
    net.honest.discard(proposer)
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 6), max_time=200)
    assert_safe(net)
    assert all(c.block.payload != INVALID_PAYLOAD for node in net.nodes for c in node.chain)
    assert any(r.reason is RejectReason.INVALID_BLOCK for node in net.nodes for r in node.rejections)


def test_validator_set_changes_between_heights() -> None:
    addresses = [n.address for n in SimNetwork(KEYS[:6]).nodes]

    def before_removal(height: int) -> list[Address]:
        # Node 5 joins at height 3 (6 validators, quorum 4); before that it follows as an observer.
        return addresses[:5] if height < 3 else addresses

    # Remove the validator that proposes height 5, so height 6 starts after a proposer that is gone
    # (the case that stopped GoQuorum chains, #1728).
    previous = None
    for height in range(1, 6):
        previous = proposer_for_round(before_removal(height), previous, 0)
    removed = previous

    def validators(height: int):
        return before_removal(height) if height < 6 else [a for a in addresses if a != removed]

    net = SimNetwork(KEYS[:6], validators_for_height=validators)
    net.start()
    assert net.run_until(lambda n: alive_reached(n, 9), max_time=200)
    assert_safe(net)
    assert_seals_valid(net)
    observer = next(node for node in net.nodes if node.address != removed)
    chain = observer.chain
    assert chain[4].block.proposer == removed
    signers_at = {}
    for committed in chain:
        digest = observer.port.seal_hash(committed.block, committed.round)
        signers_at[committed.block.number] = {recover_address(digest, s) for s in committed.seals}
    assert all(len(signers_at[h]) >= 4 for h in range(3, 6))
    assert all(removed not in signers_at[h] for h in range(6, 10))
    assert any(addresses[5] in signers_at[h] for h in range(3, 10))
    # Height 6 went to the validator after the removed one, in round 0: no stall.
    assert chain[5].round == 0
    assert chain[5].block.proposer == proposer_for_round(validators(6), removed, 0)
    # The removed validator keeps following the chain without voting.
    assert net.nodes[addresses.index(removed)].head_number >= 9


def test_validators_restarted_mid_round_never_equivocate() -> None:
    # A Byzantine proposer splits the honest nodes; honest nodes crash and restart from their
    # snapshots in the middle of rounds. Every vote an honest node sends is checked by the network.
    net = network()
    byzantine = first_proposer(net)
    net.tamper = Equivocator(net, byzantine, split=[i for i in range(5) if i != byzantine][:2])
    net.start()
    victims = [i for i in range(5) if i != byzantine]
    for step in range(12):
        victim = victims[step % len(victims)]
        net.run_for(0.7)
        net.crash(victim)
        net.run_for(0.3)
        net.restart(victim)
    assert net.run_until(lambda n: all(n.nodes[i].head_number >= 3 for i in victims), max_time=net.now + 120)
    assert net.equivocations == []
    assert_safe(net)


@pytest.mark.parametrize("n", [4, 7])
def test_other_network_sizes_tolerate_f_crashes(n: int) -> None:
    net = network(n)
    for i in range((n - 1) // 3):
        net.crash(i)
    net.start()
    assert net.run_until(lambda m: alive_reached(m, 3), max_time=200)
    assert_safe(net)
