"""Figures for the node-to-node transport on loopback: handshake cost, throughput, request latency.

Run: ``.venv/bin/python scripts/bench/p2p_transport.py``. Bounded loops, loopback only; prints figures,
asserts nothing. The machine is shared, so read the numbers as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time

from node.abc import MessageKind
from node.p2p import NetworkId, NodeIdentity, PeerAllowList, StaticPeer, TcpTransport, TransportConfig
from node.p2p.handshake import InitiatorHandshake, ResponderHandshake

NETWORK = NetworkId(7700, bytes(range(32)))
CONFIG = TransportConfig(send_queue_messages=4096, dial_backoff_base=0.05, dial_backoff_cap=0.5)


def bench_handshake_cpu(rounds: int = 300) -> None:
    a, b = NodeIdentity.generate(), NodeIdentity.generate()
    start = time.perf_counter()
    for _ in range(rounds):
        initiator, responder = InitiatorHandshake(a, NETWORK), ResponderHandshake(b, NETWORK)
        responder.read_first(initiator.first_message())
        initiator.read_second(responder.second_message())
        responder.read_third(initiator.third_message())
        initiator.keys()
        responder.keys()
    per = (time.perf_counter() - start) / rounds
    print(f"handshake CPU (both sides, no I/O): {per * 1000:.2f} ms  ({1 / per:.0f} handshakes/s)")


async def _pair() -> tuple[TcpTransport, TcpTransport]:
    ia, ib = NodeIdentity.generate(), NodeIdentity.generate()
    ids = [ia.node_id, ib.node_id]
    a = TcpTransport(ia, NETWORK, PeerAllowList(ids), CONFIG, rng=random.Random(1))
    b = TcpTransport(ib, NETWORK, PeerAllowList(ids), CONFIG, rng=random.Random(2))
    await a.start()
    await b.start()
    return a, b


async def _connected(a: TcpTransport, b: TcpTransport) -> None:
    host, port = b.listen_address
    a.add_static_peer(StaticPeer(b.node_id, host, port))
    while a.peer_count() == 0 or b.peer_count() == 0:
        await asyncio.sleep(0.001)


async def bench_connect(rounds: int = 20) -> None:
    times = []
    for _ in range(rounds):
        a, b = await _pair()
        start = time.perf_counter()
        await _connected(a, b)
        times.append(time.perf_counter() - start)
        await a.stop()
        await b.stop()
    print(f"TCP connect + handshake + first frame, loopback: median {statistics.median(times) * 1000:.1f} ms")


async def bench_throughput(size: int, count: int) -> None:
    a, b = await _pair()
    await _connected(a, b)
    inbox = b.inbox()
    payload = bytes(size)
    start = time.perf_counter()
    sent = 0
    received = 0
    while received < count:
        while sent < count and sent - received < 1000:
            a.send(
                b.node_id, MessageKind.TRANSACTIONS if size <= 1 << 20 else MessageKind.BLOCK_SYNC, payload
            )
            sent += 1
        await anext(inbox)
        received += 1
    elapsed = time.perf_counter() - start
    print(
        f"one-way {size:>8} B messages: {count / elapsed:8.0f} msg/s, "
        f"{count * size / elapsed / 1e6:7.1f} MB/s (payload), {count} messages"
    )
    await a.stop()
    await b.stop()


async def bench_requests(rounds: int = 500) -> None:
    a, b = await _pair()
    await _connected(a, b)

    async def echo(peer_id: str, payload: bytes) -> bytes:
        return payload

    b.set_request_handler(MessageKind.BLOCK_SYNC, echo)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await a.request(b.node_id, MessageKind.BLOCK_SYNC, b"x" * 64, timeout=5)
        times.append(time.perf_counter() - start)
    times.sort()
    print(
        f"request/response round trip (64 B): median {statistics.median(times) * 1e6:.0f} us, "
        f"p99 {times[int(len(times) * 0.99)] * 1e6:.0f} us"
    )
    await a.stop()
    await b.stop()


async def main() -> None:
    bench_handshake_cpu()
    await bench_connect()
    await bench_throughput(1024, 20_000)
    await bench_throughput(64 * 1024, 2_000)
    await bench_throughput(1 << 20, 200)
    await bench_requests()


if __name__ == "__main__":
    asyncio.run(main())
