"""One live, authenticated session with a peer: a reader, a writer with a bounded queue, a keepalive.

The connection knows frames and envelopes but not what they mean: every decoded envelope goes to its
:class:`ConnectionOwner` (the transport), which also decides what a protocol violation costs the peer.
Outgoing envelopes wait in a bounded queue; when it is full the peer is not reading and the owner drops
it, so one stuck peer can neither exhaust memory nor stall sends to the others. A write that waits
longer than ``send_timeout`` for the peer to read ends the connection likewise.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from node.abc import MessageKind, PeerDirection, PeerInfo
from node.p2p.config import TransportConfig
from node.p2p.envelope import Envelope, Role
from node.p2p.exceptions import FrameError, OversizedFrame
from node.p2p.framing import FRAME_HEADER, FrameOpener, FrameSealer

WRITE_BUFFER_HIGH_WATER = 256 * 1024
"""Bytes buffered in the socket layer before ``drain`` waits; keeps backpressure close to the queue."""

WRITE_BATCH_FRAMES = 64
"""Frames written back to back before awaiting the socket (bounded so one burst cannot starve others)."""

DRAIN_TIMEOUT = 2.0
"""Upper bound on waiting for a closed connection's tasks and socket to finish during shutdown."""

PING = Envelope(MessageKind.PING, Role.MESSAGE, 0, b"")
PONG = Envelope(MessageKind.PONG, Role.MESSAGE, 0, b"")


class ConnectionOwner(Protocol):
    async def envelope_received(self, connection: PeerConnection, envelope: Envelope) -> None: ...

    def frame_violation(self, connection: PeerConnection, error: FrameError) -> None: ...

    def connection_closed(self, connection: PeerConnection, reason: str) -> None: ...


class PeerConnection:
    def __init__(
        self,
        *,
        node_id: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sealer: FrameSealer,
        opener: FrameOpener,
        direction: PeerDirection,
        address: str,
        connected_since: float,
        config: TransportConfig,
        clock: Callable[[], float],
        owner: ConnectionOwner,
    ) -> None:
        self.node_id = node_id
        self.direction: PeerDirection = direction
        self.address = address
        self.connected_since = connected_since
        self._reader = reader
        self._writer = writer
        self._sealer = sealer
        self._opener = opener
        self._config = config
        self._clock = clock
        self._owner = owner
        self._queue: asyncio.Queue[Envelope] = asyncio.Queue(maxsize=config.send_queue_messages)
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = asyncio.Event()
        self.close_reason = ""
        self.started_at = clock()
        self.last_received = self.started_at
        self.inflight_requests = 0

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def info(self) -> PeerInfo:
        return PeerInfo(self.node_id, self.address, self.direction, self.connected_since)

    def start(self) -> None:
        with contextlib.suppress(AttributeError, NotImplementedError):
            self._writer.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH_WATER)
        self._tasks = [
            asyncio.create_task(self._read_loop(), name=f"p2p-read-{self.node_id[:8]}"),
            asyncio.create_task(self._write_loop(), name=f"p2p-write-{self.node_id[:8]}"),
            asyncio.create_task(self._keepalive_loop(), name=f"p2p-keepalive-{self.node_id[:8]}"),
        ]

    def enqueue(self, envelope: Envelope) -> bool:
        """Queue an envelope for sending; return False if the queue is full (the peer is not reading)."""
        if self.closed:
            return False
        try:
            self._queue.put_nowait(envelope)
        except asyncio.QueueFull:
            return False
        return True

    def take_queued(self) -> list[Envelope]:
        """Remove and return what still waits to be sent (handed to the connection superseding this one)."""
        taken: list[Envelope] = []
        while not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    def close(self, reason: str) -> None:
        """Drop the connection now (queued frames are discarded) and tell the owner once."""
        if self.closed:
            return
        self.close_reason = reason
        self._closed.set()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._writer.close()
        self._owner.connection_closed(self, reason)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def drain_tasks(self) -> None:
        """Wait until the connection's own tasks have finished (after :meth:`close`)."""
        current = asyncio.current_task()
        pending = [task for task in self._tasks if task is not current and not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_TIMEOUT)
        with contextlib.suppress(OSError, ConnectionError, TimeoutError):
            async with asyncio.timeout(DRAIN_TIMEOUT):
                await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        try:
            while not self.closed:
                header = await self._reader.readexactly(FRAME_HEADER.size)
                length = self._opener.read_header(header)
                envelope = Envelope.decode(self._opener.open(header, await self._reader.readexactly(length)))
                limit = self._config.kind_limits[envelope.kind]
                if len(envelope.payload) > limit:
                    raise OversizedFrame(f"{envelope.kind.name} payload over its limit of {limit} bytes")
                self.last_received = self._clock()
                await self._owner.envelope_received(self, envelope)
        except FrameError as exc:
            self._owner.frame_violation(self, exc)
            self.close(exc.code)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.close("connection closed by peer")

    async def _write_loop(self) -> None:
        try:
            while not self.closed:
                envelope = await self._queue.get()
                self._writer.write(self._sealer.seal(envelope.encode()))
                # Write what else is already queued before waiting once: one drain per burst, not per frame.
                for _ in range(min(self._queue.qsize(), WRITE_BATCH_FRAMES)):
                    self._writer.write(self._sealer.seal(self._queue.get_nowait().encode()))
                async with asyncio.timeout(self._config.send_timeout):
                    await self._writer.drain()
        except TimeoutError:
            self.close("peer does not read (send timeout)")
        except (ConnectionError, OSError):
            self.close("connection lost while writing")

    async def _keepalive_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(self._config.ping_interval)
            if self._clock() - self.last_received > self._config.idle_timeout:
                self.close("idle timeout")
                return
            if not self.enqueue(PING):
                self.close("send queue full")
                return
