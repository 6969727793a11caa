"""The asyncio runner on the p2p layer's in-memory transport: real tasks, real queues, real bytes.

Timeouts are set far beyond the test's duration, so progress here is driven only by messages; the
tests wait for blocks to appear. The one exception is the test of the runner's own timer wiring, which
uses 50 ms rounds: the clock is exactly what this shell adds to the pure machine.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from eth_typing import Address

from node.abc import MessageKind
from node.consensus.qbft.actions import CommitBlock, RejectReason
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.runner import QbftRunner
from node.consensus.qbft.simulation import CommittedBlock, SimBlock, SimChainPort
from node.consensus.qbft.state_machine import QbftMachine
from node.exceptions import InvalidBlock
from node.p2p.memory import InMemoryNetwork

CONFIG = QbftConfig(block_period=0.0, request_timeout=60.0, max_round_timeout=60.0)


class Host:
    def __init__(
        self, signer: LocalKeySigner, validators: tuple[Address, ...], peers: dict[Address, str]
    ) -> None:
        self.signer = signer
        self.validators = validators
        self.peers = peers
        self.chain: list[CommittedBlock] = []
        self.port = SimChainPort(self.chain)
        self.snapshots: list[bytes] = []

    def next_height(self) -> HeightInfo:
        if not self.chain:
            return HeightInfo(1, self.validators, None, 0.0)
        parent = self.chain[-1].block
        return HeightInfo(parent.number + 1, self.validators, parent.proposer, parent.timestamp_ms / 1000)

    async def build_block(self, height: int, round_number: int) -> SimBlock | None:
        if height != len(self.chain) + 1:
            return None
        payload = f"h{height}r{round_number}".encode()
        return SimBlock(height, self.port.head_hash(), self.signer.address, int(time.time() * 1000), payload)

    async def commit_block(self, decision: CommitBlock) -> HeightInfo:
        assert isinstance(decision.block, SimBlock)
        self.chain.append(CommittedBlock(decision.block, decision.round, decision.seals))
        return self.next_height()

    def persist_snapshot(self, data: bytes) -> None:
        self.snapshots.append(data)

    def peer_of(self, validator: Address) -> str | None:
        return self.peers.get(validator)


async def run_network(
    n: int,
    heights: int,
    *,
    intruder_payload: bytes | None = None,
    config: QbftConfig = CONFIG,
    down: frozenset[int] = frozenset(),
):
    network = InMemoryNetwork(seed=3)
    signers = [LocalKeySigner(bytes([i + 1]) * 32) for i in range(n)]
    validators = tuple(s.address for s in signers)
    peers = {s.address: f"node{i}" for i, s in enumerate(signers)}
    transports = [network.transport(f"node{i}") for i in range(n)]
    hosts = [Host(s, validators, peers) for s in signers]
    runners = [
        QbftRunner(QbftMachine(config, s, h.port), t, h)
        for s, h, t in zip(signers, hosts, transports, strict=True)
    ]
    for transport in transports:
        await transport.start()
    intruder = network.transport("intruder")
    await intruder.start()
    tasks = [asyncio.get_running_loop().create_task(r.run()) for i, r in enumerate(runners) if i not in down]
    try:
        async with asyncio.timeout(30):
            await asyncio.sleep(0)
            if intruder_payload is not None:
                intruder.broadcast(MessageKind.CONSENSUS, intruder_payload)
            while min(len(h.chain) for i, h in enumerate(hosts) if i not in down) < heights:
                await asyncio.sleep(0.01)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for transport in [*transports, intruder]:
            await transport.stop()
    return hosts, runners, transports


def test_four_runners_commit_the_same_blocks_over_the_transport() -> None:
    hosts, _runners, _transports = asyncio.run(run_network(4, 3))
    reference = [c.block.hash for c in hosts[0].chain[:3]]
    for host in hosts:
        assert [c.block.hash for c in host.chain[:3]] == reference
        assert host.snapshots  # votes were persisted
    assert {c.block.proposer for c in hosts[0].chain[:3]} <= set(hosts[0].validators)


def test_garbage_from_a_peer_is_reported_against_that_peer() -> None:
    _hosts, runners, transports = asyncio.run(run_network(4, 1, intruder_payload=b"\xc3garbage"))
    for runner, transport in zip(runners, transports, strict=True):
        assert runner.rejected.get(RejectReason.MALFORMED) == 1
        assert [peer for peer, _ in transport.misbehaviour] == ["intruder"]


def test_runner_timer_drives_a_round_change_around_a_missing_proposer() -> None:
    fast = QbftConfig(block_period=0.0, request_timeout=0.05, max_round_timeout=0.2)
    signers = [LocalKeySigner(bytes([i + 1]) * 32) for i in range(4)]
    first = HeightInfo(1, tuple(s.address for s in signers), None, 0.0).proposer(0)
    missing = next(i for i, s in enumerate(signers) if s.address == first)
    hosts, _runners, _ = asyncio.run(run_network(4, 2, config=fast, down=frozenset({missing})))
    live = [h for i, h in enumerate(hosts) if i != missing]
    assert live[0].chain[0].round >= 1  # height 1 needed a round change: its proposer never ran
    assert all(h.chain[0].block.hash == live[0].chain[0].block.hash for h in live)
    assert hosts[missing].chain == []


class FailingHost(Host):
    def __init__(self, *args, error: Exception, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.error = error

    async def build_block(self, height: int, round_number: int) -> SimBlock | None:
        raise self.error


async def run_alone(host: Host, signer: LocalKeySigner, *, imported: HeightInfo | None = None) -> QbftRunner:
    network = InMemoryNetwork(seed=1)
    transport = network.transport("solo")
    await transport.start()
    runner = QbftRunner(QbftMachine(CONFIG, signer, host.port), transport, host)
    task = asyncio.get_running_loop().create_task(runner.run())
    try:
        await asyncio.sleep(0.05)
        if imported is not None:
            runner.block_imported(imported)
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await transport.stop()
    return runner


def test_block_imported_by_sync_moves_the_runner_to_the_next_height() -> None:
    signers = [LocalKeySigner(bytes([i + 1]) * 32) for i in range(4)]
    validators = tuple(s.address for s in signers)
    host = Host(signers[1], validators, {})
    runner = asyncio.run(
        run_alone(host, signers[1], imported=HeightInfo(2, validators, signers[0].address, 0.0))
    )
    assert runner.machine.height == 2 and runner.machine.round == 0


def test_a_failing_build_skips_the_proposal_and_a_host_bug_stops_the_runner() -> None:
    signers = [LocalKeySigner(bytes([i + 1]) * 32) for i in range(4)]
    validators = tuple(s.address for s in signers)
    proposer = next(s for s in signers if s.address == HeightInfo(1, validators, None, 0.0).proposer(0))
    host = FailingHost(proposer, validators, {}, error=InvalidBlock("head moved"))
    runner = asyncio.run(run_alone(host, proposer))
    assert runner.machine.round == 0 and host.chain == []

    async def crashing() -> None:
        network = InMemoryNetwork(seed=1)
        transport = network.transport("solo")
        await transport.start()
        bad = FailingHost(proposer, validators, {}, error=RuntimeError("bug"))
        try:
            async with asyncio.timeout(5):
                await QbftRunner(QbftMachine(CONFIG, proposer, bad.port), transport, bad).run()
        finally:
            await transport.stop()

    with pytest.raises(RuntimeError, match="bug"):
        asyncio.run(crashing())
