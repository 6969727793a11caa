"""The in-memory transport: same API as TCP, with partitions, cuts, delays, drops and held delivery."""

from __future__ import annotations

import asyncio

import pytest

from node.abc import MessageKind, TransportAPI
from node.p2p import InMemoryNetwork
from node.p2p.exceptions import MessageTooLarge, PeerNotConnected, RequestFailed, RequestTimeout

from .conftest import run

IDS = ["n0", "n1", "n2", "n3", "n4"]


async def _started(network: InMemoryNetwork, ids=IDS):
    transports = [network.transport(node_id) for node_id in ids]
    for transport in transports:
        await transport.start()
    return transports


def _drain(inbox):
    """Collect what is already queued, without waiting (delivery is synchronous)."""
    return inbox.drain_nowait()


def test_is_a_transport_and_broadcasts_to_all_started_nodes():
    async def body():
        network = InMemoryNetwork()
        transports = await _started(network)
        assert all(isinstance(t, TransportAPI) for t in transports)
        inboxes = [t.inbox() for t in transports]
        assert transports[0].broadcast(MessageKind.CONSENSUS, b"hello") == 4
        assert [len(_drain(inbox)) for inbox in inboxes] == [0, 1, 1, 1, 1]
        assert transports[0].peer_count() == 4
        assert [p.node_id for p in transports[0].peers()] == IDS[1:]
        await transports[4].stop()
        assert transports[0].peer_count() == 3
        with pytest.raises(MessageTooLarge):
            transports[0].broadcast(MessageKind.STATUS, bytes(5000))

    run(body())


def test_partition_three_two_blocks_cross_traffic_until_healed():
    async def body():
        network = InMemoryNetwork()
        transports = await _started(network)
        inboxes = [t.inbox(frozenset({MessageKind.CONSENSUS})) for t in transports]
        network.partition(IDS[:3], IDS[3:])
        assert [t.peer_count() for t in transports] == [2, 2, 2, 1, 1]
        transports[0].broadcast(MessageKind.CONSENSUS, b"majority")
        transports[3].broadcast(MessageKind.CONSENSUS, b"minority")
        received = [[m.payload for m in _drain(inbox)] for inbox in inboxes]
        assert received == [[], [b"majority"], [b"majority"], [], [b"minority"]]
        with pytest.raises(PeerNotConnected):
            transports[0].send("n4", MessageKind.CONSENSUS, b"x")
        network.heal()
        assert [t.peer_count() for t in transports] == [4] * 5
        transports[0].send("n4", MessageKind.CONSENSUS, b"after heal")
        assert [m.payload for m in _drain(inboxes[4])] == [b"after heal"]

    run(body())


def test_isolate_and_one_way_cut():
    async def body():
        network = InMemoryNetwork()
        transports = await _started(network, IDS[:3])
        inboxes = [t.inbox() for t in transports]
        network.isolate("n2")
        assert transports[2].peer_count() == 0 and transports[0].peer_count() == 1
        network.heal()
        network.cut("n0", "n1")  # n0's messages to n1 vanish; n1 -> n0 still works
        transports[0].broadcast(MessageKind.STATUS, b"from n0")
        transports[1].broadcast(MessageKind.STATUS, b"from n1")
        assert [m.payload for m in _drain(inboxes[1])] == []
        assert [m.payload for m in _drain(inboxes[0])] == [b"from n1"]
        assert [m.payload for m in _drain(inboxes[2])] == [b"from n0", b"from n1"]

    run(body())


def test_delay_delivers_late_and_partition_in_flight_drops():
    async def body():
        network = InMemoryNetwork()
        a, b = await _started(network, IDS[:2])
        inbox = b.inbox()
        network.set_delay("n0", "n1", 0.05)
        a.send("n1", MessageKind.CONSENSUS, b"late")
        assert _drain(inbox) == []
        message = await asyncio.wait_for(anext(inbox), 2)
        assert message.payload == b"late"
        a.send("n1", MessageKind.CONSENSUS, b"lost")
        network.isolate("n1")  # the partition starts while the message is in flight
        await asyncio.sleep(0.1)
        assert _drain(inbox) == [] and network.dropped == 1

    run(body())


def test_drop_rate_is_reproducible_with_the_seed():
    async def body(seed):
        network = InMemoryNetwork(seed=seed)
        a, b = await _started(network, IDS[:2])
        inbox = b.inbox()
        network.set_drop_rate("n0", "n1", 0.5)
        for i in range(100):
            a.send("n1", MessageKind.TRANSACTIONS, b"%d" % i)
        return [m.payload for m in _drain(inbox)]

    first, again, other = run(body(7)), run(body(7)), run(body(8))
    assert first == again
    assert first != other
    assert 20 < len(first) < 80


def test_hold_and_release_in_a_chosen_order():
    async def body():
        network = InMemoryNetwork()
        a, b = await _started(network, IDS[:2])
        inbox = b.inbox()
        network.hold()
        for payload in (b"1", b"2", b"3"):
            a.send("n1", MessageKind.CONSENSUS, payload)
        assert _drain(inbox) == []
        assert network.release(order=lambda held: list(reversed(held))) == 3
        assert [m.payload for m in _drain(inbox)] == [b"3", b"2", b"1"]

    run(body())


def test_request_response_and_timeout_across_a_partition():
    async def body():
        network = InMemoryNetwork()
        a, b = await _started(network, IDS[:2])

        async def handler(peer_id: str, payload: bytes) -> bytes:
            return peer_id.encode() + b":" + payload

        b.set_request_handler(MessageKind.BLOCK_SYNC, handler)
        assert await a.request("n1", MessageKind.BLOCK_SYNC, b"5", timeout=1) == b"n0:5"
        with pytest.raises(RequestFailed):
            await a.request("n1", MessageKind.STATUS, b"?", timeout=1)
        network.cut("n1", "n0")  # the answer cannot come back
        with pytest.raises(RequestTimeout):
            await a.request("n1", MessageKind.BLOCK_SYNC, b"5", timeout=0.05)
        network.isolate("n1")
        with pytest.raises(PeerNotConnected):
            await a.request("n1", MessageKind.BLOCK_SYNC, b"5", timeout=0.05)
        network.heal()
        network.set_drop_rate("n1", "n0", 1.0)
        with pytest.raises(RequestTimeout):
            await a.request("n1", MessageKind.BLOCK_SYNC, b"5", timeout=0.05)
        a.report_misbehaviour("n1", "bad block")
        assert a.misbehaviour == [("n1", "bad block")]

    run(body())
