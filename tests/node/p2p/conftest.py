"""Helpers for transport tests: real loopback transports, a raw authenticated client, polling waits."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from node.p2p import NetworkId, NodeIdentity, PeerAllowList, StaticPeer, TcpTransport, TransportConfig
from node.p2p.connection import PING
from node.p2p.envelope import Envelope
from node.p2p.framing import FRAME_HEADER, FrameOpener, FrameSealer
from node.p2p.handshake import SECOND_MESSAGE_SIZE, InitiatorHandshake

NETWORK = NetworkId(chain_id=7700, genesis_hash=bytes(range(32)))
OTHER_NETWORK = NetworkId(chain_id=7700, genesis_hash=bytes(32))

FAST = TransportConfig(
    handshake_timeout=2.0,
    ping_interval=1.0,
    idle_timeout=3.0,
    dial_backoff_base=0.05,
    dial_backoff_cap=0.4,
)


def run(coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    """Run one test body on a fresh event loop, bounded so a hang fails instead of blocking the suite."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll for an event (a connection, a message) to have happened; fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class Node:
    identity: NodeIdentity
    allowlist: PeerAllowList
    transport: TcpTransport
    config: TransportConfig = field(default=FAST)

    @property
    def id(self) -> str:
        return self.identity.node_id

    def static(self) -> StaticPeer:
        host, port = self.transport.listen_address
        return StaticPeer(self.id, host, port)


def make_node(
    identity: NodeIdentity | None = None,
    allowed: list[str] | None = None,
    *,
    network: NetworkId = NETWORK,
    config: TransportConfig = FAST,
    seed: int = 1,
) -> Node:
    identity = identity or NodeIdentity.generate()
    allowlist = PeerAllowList(allowed or [])
    transport = TcpTransport(identity, network, allowlist, config, rng=random.Random(seed))
    return Node(identity, allowlist, transport, config)


async def mesh(count: int, config: TransportConfig = FAST) -> list[Node]:
    """Start ``count`` mutually allow-listed nodes, each dialling all the others."""
    identities = [NodeIdentity.generate() for _ in range(count)]
    ids = [identity.node_id for identity in identities]
    nodes = [make_node(identity, ids, config=config, seed=i) for i, identity in enumerate(identities)]
    for node in nodes:
        await node.transport.start()
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.transport.add_static_peer(other.static())
    await wait_until(lambda: all(n.transport.peer_count() == count - 1 for n in nodes), what="full mesh")
    await settle(nodes)
    return nodes


async def settle(nodes: list[Node], quiet: float = 0.2) -> None:
    """Wait until no connection changed for ``quiet`` seconds (losing duplicate dials have closed)."""

    def snapshot() -> list[list[tuple[str, float]]]:
        return [[(p.node_id, p.connected_since) for p in n.transport.peers()] for n in nodes]

    before = snapshot()
    while True:
        await asyncio.sleep(quiet)
        now = snapshot()
        if now == before:
            return
        before = now


async def stop_all(nodes: list[Node]) -> None:
    for node in nodes:
        await node.transport.stop()


@dataclass
class RawSession:
    """A hand-driven client: authenticates like a node, then lets a test write arbitrary frames."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sealer: FrameSealer
    opener: FrameOpener

    async def read_envelope(self) -> Envelope:
        header = await self.reader.readexactly(FRAME_HEADER.size)
        body = self.opener.open(header, await self.reader.readexactly(self.opener.read_header(header)))
        return Envelope.decode(body)

    async def closed_by_remote(self, timeout: float = 5.0) -> bool:
        """Return True once the remote closed the connection (reading anything it still sent)."""
        try:
            async with asyncio.timeout(timeout):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def raw_session(
    identity: NodeIdentity, target: Node, network: NetworkId = NETWORK, *, expect_ping: bool = True
) -> RawSession:
    host, port = target.transport.listen_address
    reader, writer = await asyncio.open_connection(host, port)
    try:
        handshake = InitiatorHandshake(identity, network)
        writer.write(handshake.first_message())
        remote = handshake.read_second(await reader.readexactly(SECOND_MESSAGE_SIZE))
        assert remote == target.id
        writer.write(handshake.third_message())
        await writer.drain()
        keys = handshake.keys()
        session = RawSession(
            reader, writer, FrameSealer(keys.send_key), FrameOpener(keys.receive_key, 1 << 20)
        )
        if expect_ping:
            assert await session.read_envelope() == PING
    except BaseException:
        writer.close()
        raise
    return session
