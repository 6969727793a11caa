"""The TCP transport on real loopback sockets: authentication, refusal, framing faults, peers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from node.abc import MessageKind
from node.p2p import NodeIdentity, StaticPeer
from node.p2p.envelope import Envelope, Role
from node.p2p.exceptions import MessageTooLarge, P2PError, PeerNotConnected, RequestFailed, RequestTimeout
from node.p2p.framing import FRAME_HEADER

from .conftest import FAST, OTHER_NETWORK, make_node, mesh, raw_session, run, stop_all, wait_until


def _events(caplog, name):
    return [record.p2p for record in caplog.records if getattr(record, "p2p", {}).get("event") == name]


async def _recording_proxy(target_host: str, target_port: int, captured: bytearray) -> asyncio.Server:
    """A loopback relay that records every byte, to show what an eavesdropper would see."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                captured.extend(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(relay, "127.0.0.1", 0)


def test_handshake_and_encrypted_exchange_both_ways(caplog):
    caplog.set_level(logging.DEBUG, logger="node.p2p")
    seeds = []

    async def body():
        a_id, b_id = NodeIdentity.generate(), NodeIdentity.generate()
        seeds.extend([a_id.seed_hex(), b_id.seed_hex()])
        ids = [a_id.node_id, b_id.node_id]
        a, b = make_node(a_id, ids), make_node(b_id, ids)
        await a.transport.start()
        await b.transport.start()
        captured = bytearray()
        host, port = b.transport.listen_address
        proxy = await _recording_proxy(host, port, captured)
        a_inbox, b_inbox = a.transport.inbox(), b.transport.inbox()
        proxy_port = proxy.sockets[0].getsockname()[1]
        a.transport.add_static_peer(StaticPeer(b.id, "127.0.0.1", proxy_port))
        await wait_until(lambda: a.transport.peer_count() == 1 and b.transport.peer_count() == 1)
        a.transport.send(b.id, MessageKind.CONSENSUS, b"PLAINTEXT-FROM-A")
        b.transport.send(a.id, MessageKind.TRANSACTIONS, b"PLAINTEXT-FROM-B")
        got_b = await anext(b_inbox)
        got_a = await anext(a_inbox)
        assert (got_b.sender, got_b.kind, got_b.payload) == (a.id, MessageKind.CONSENSUS, b"PLAINTEXT-FROM-A")
        assert (got_a.sender, got_a.kind, got_a.payload) == (
            b.id,
            MessageKind.TRANSACTIONS,
            b"PLAINTEXT-FROM-B",
        )
        assert b"PLAINTEXT" not in captured and len(captured) > 200
        assert a.id not in captured.hex() and b.id not in captured.hex()  # identities travel encrypted
        [info] = a.transport.peers()
        assert (info.node_id, info.direction) == (b.id, "outbound")
        assert b.transport.peers()[0].direction == "inbound"
        await stop_all([a, b])
        proxy.close()
        await proxy.wait_closed()

    run(body())
    logged = caplog.text + repr([getattr(record, "p2p", None) for record in caplog.records])
    assert "p2p.peer_connected" in logged
    assert all(seed not in logged for seed in seeds)  # identity secrets never reach the log


def test_unknown_node_is_refused_and_logged(caplog):
    async def body():
        server = make_node()
        await server.transport.start()
        stranger = make_node()
        await stranger.transport.start()
        stranger.allowlist.add(server.id)  # the stranger would talk; the server does not know it
        stranger.transport.add_static_peer(server.static())
        await wait_until(lambda: bool(_events(caplog, "p2p.peer_refused")), what="refusal log")
        await asyncio.sleep(0.2)
        assert server.transport.peer_count() == 0
        assert stranger.transport.peer_count() == 0  # the initiator never counts a refused session
        await stop_all([server, stranger])
        return stranger.id

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        stranger_id = run(body())
    refusals = [event for event in _events(caplog, "p2p.peer_refused") if event["direction"] == "inbound"]
    assert refusals[0]["offered_id"] == stranger_id
    assert refusals[0]["reason"] == "not on the allow-list"
    assert refusals[0]["remote"].startswith("127.0.0.1:")


def test_dial_reaching_a_different_node_is_refused_before_we_identify(caplog):
    async def body():
        server = make_node()
        client_identity = NodeIdentity.generate()
        server.allowlist.add(client_identity.node_id)
        expected = NodeIdentity.generate().node_id  # whom the client believes listens at that address
        client = make_node(client_identity, [expected, server.id])
        await server.transport.start()
        await client.transport.start()
        host, port = server.transport.listen_address
        client.transport.add_static_peer(StaticPeer(expected, host, port))
        await wait_until(lambda: bool(_events(caplog, "p2p.peer_refused")), what="refusal log")
        assert server.transport.peer_count() == 0 and client.transport.peer_count() == 0
        await stop_all([server, client])
        return server.id, expected

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        server_id, expected = run(body())
    refusal = _events(caplog, "p2p.peer_refused")[0]
    assert refusal["direction"] == "outbound" and refusal["offered_id"] == server_id
    assert refusal["reason"] == f"expected node {expected}"


def test_node_of_another_network_is_refused(caplog):
    async def body():
        ours, theirs = NodeIdentity.generate(), NodeIdentity.generate()
        ids = [ours.node_id, theirs.node_id]
        server = make_node(ours, ids)
        foreign = make_node(theirs, ids, network=OTHER_NETWORK)
        await server.transport.start()
        await foreign.transport.start()
        foreign.transport.add_static_peer(server.static())
        await wait_until(lambda: bool(_events(caplog, "p2p.peer_refused")), what="refusal log")
        assert server.transport.peer_count() == 0 and foreign.transport.peer_count() == 0
        await stop_all([server, foreign])

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        run(body())
    assert _events(caplog, "p2p.peer_refused")[0]["reason"].startswith("network mismatch")


def _authenticated_pair():
    client_identity = NodeIdentity.generate()
    server = make_node(allowed=[client_identity.node_id])
    return server, client_identity


@pytest.mark.parametrize("fault", ["tampered", "replayed", "oversized"])
def test_frame_faults_disconnect_and_ban(caplog, fault):
    async def body():
        server, client_identity = _authenticated_pair()
        await server.transport.start()
        inbox = server.transport.inbox()
        session = await raw_session(client_identity, server)
        await wait_until(lambda: server.transport.peer_count() == 1)
        good = session.sealer.seal(Envelope(MessageKind.TRANSACTIONS, Role.MESSAGE, 0, b"ok").encode())
        session.writer.write(good)
        assert (await anext(inbox)).payload == b"ok"
        if fault == "tampered":
            frame = bytearray(
                session.sealer.seal(Envelope(MessageKind.TRANSACTIONS, Role.MESSAGE, 0, b"x").encode())
            )
            frame[-3] ^= 0x40
            session.writer.write(bytes(frame))
        elif fault == "replayed":
            session.writer.write(good)
        else:
            # Announce 2 GiB and send nothing more: the server must refuse on the header alone.
            session.writer.write(FRAME_HEADER.pack(2**31, 1))
        assert await session.closed_by_remote()
        await wait_until(lambda: server.transport.peer_count() == 0)
        assert server.transport.score_book().is_banned(
            client_identity.node_id, asyncio.get_running_loop().time()
        )
        await session.close()
        # A banned peer that reconnects proves its key and is refused.
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            await raw_session(client_identity, server)
        await server.transport.stop()

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        run(body())
    expected = {
        "tampered": "p2p_decryption_failed",
        "replayed": "p2p_replayed_frame",
        "oversized": "p2p_oversized_frame",
    }
    misbehaved = _events(caplog, "p2p.peer_misbehaved")
    assert misbehaved[0]["reason"] == expected[fault] and misbehaved[0]["banned"] is True
    assert any(e["reason"] == "banned for misbehaviour" for e in _events(caplog, "p2p.peer_refused"))


def test_payload_over_the_kind_limit_is_refused_both_ways():
    async def body():
        server, client_identity = _authenticated_pair()
        await server.transport.start()
        session = await raw_session(client_identity, server)
        await wait_until(lambda: server.transport.peer_count() == 1)
        with pytest.raises(MessageTooLarge):
            server.transport.broadcast(MessageKind.STATUS, bytes(5000))
        # Within the frame bound, but over STATUS's own limit: a protocol violation.
        session.writer.write(
            session.sealer.seal(Envelope(MessageKind.STATUS, Role.MESSAGE, 0, bytes(5000)).encode())
        )
        assert await session.closed_by_remote()
        await session.close()
        await server.transport.stop()

    run(body())


def test_reconnects_with_backoff_after_the_remote_restarts():
    async def body():
        a, b = await mesh(2)
        port = b.transport.listen_address[1]
        await b.transport.stop()
        await wait_until(lambda: a.transport.peer_count() == 0, what="drop noticed")
        await asyncio.sleep(0.3)  # a few dial attempts fail while b is down
        config = dataclasses.replace(FAST, listen_port=port)
        restarted = make_node(b.identity, [a.id], config=config)
        inbox = restarted.transport.inbox()
        await restarted.transport.start()
        await wait_until(lambda: a.transport.peer_count() == 1, what="reconnect")
        a.transport.broadcast(MessageKind.STATUS, b"after restart")
        assert (await anext(inbox)).payload == b"after restart"
        await stop_all([a, restarted])

    run(body())


def test_allowlist_removal_disconnects_and_keeps_the_peer_out():
    async def body():
        a, b = await mesh(2)
        a.allowlist.remove(b.id)
        await wait_until(lambda: a.transport.peer_count() == 0 and b.transport.peer_count() == 0)
        await asyncio.sleep(0.5)  # b keeps redialling; a keeps refusing
        assert a.transport.peer_count() == 0
        a.allowlist.add(b.id)
        await wait_until(lambda: a.transport.peer_count() == 1, what="re-admitted")
        await stop_all([a, b])

    run(body())


def test_five_nodes_in_a_full_mesh_exchange_broadcasts():
    async def body():
        nodes = await mesh(5)
        inboxes = [node.transport.inbox(frozenset({MessageKind.CONSENSUS})) for node in nodes]
        for node in nodes:
            assert node.transport.broadcast(MessageKind.CONSENSUS, node.id.encode()) == 4
        for node, inbox in zip(nodes, inboxes, strict=True):
            received = {(await anext(inbox)).payload.decode() for _ in range(4)}
            assert received == {other.id for other in nodes if other is not node}
        for node in nodes:
            assert sorted(p.node_id for p in node.transport.peers()) == sorted(
                o.id for o in nodes if o is not node
            )
        # one connection per pair, seen from both ends with opposite directions
        for node in nodes:
            for info in node.transport.peers():
                other = next(o for o in nodes if o.id == info.node_id)
                mirror = next(p for p in other.transport.peers() if p.node_id == node.id)
                assert {info.direction, mirror.direction} == {"inbound", "outbound"}
        await stop_all(nodes)

    run(body())


def test_simultaneous_dials_are_deduplicated_by_lower_id():
    async def body():
        nodes = await mesh(2)
        await asyncio.sleep(0.3)  # let any losing duplicate close
        low, high = sorted(nodes, key=lambda n: n.id)
        assert low.transport.peer_count() == 1 and high.transport.peer_count() == 1
        assert low.transport.peers()[0].direction == "outbound"  # the lower id's dial wins
        assert high.transport.peers()[0].direction == "inbound"
        await stop_all(nodes)

    run(body())


def test_request_response_errors_and_timeout():
    async def body():
        a, b = await mesh(2)
        never = asyncio.Event()

        async def blocks(peer_id: str, payload: bytes) -> bytes:
            assert peer_id == a.id
            return b"blocks " + payload

        async def stuck(peer_id: str, payload: bytes) -> bytes:
            await never.wait()
            return b""

        b.transport.set_request_handler(MessageKind.BLOCK_SYNC, blocks)
        assert await a.transport.request(b.id, MessageKind.BLOCK_SYNC, b"1-10", timeout=5) == b"blocks 1-10"
        with pytest.raises(RequestFailed, match="no handler"):
            await a.transport.request(b.id, MessageKind.STATUS, b"?", timeout=5)
        b.transport.set_request_handler(MessageKind.STATUS, stuck)
        with pytest.raises(RequestTimeout):
            await a.transport.request(b.id, MessageKind.STATUS, b"?", timeout=0.2)
        with pytest.raises(PeerNotConnected):
            await a.transport.request(NodeIdentity.generate().node_id, MessageKind.STATUS, b"?", timeout=1)
        never.set()
        await stop_all([a, b])

    run(body())


def test_reported_misbehaviour_disconnects_and_repeated_reports_ban():
    async def body():
        a, b = await mesh(2)
        a.transport.report_misbehaviour(b.id, "invalid proposal signature")
        await wait_until(lambda: a.transport.peer_count() == 0, what="disconnect")
        await wait_until(lambda: a.transport.peer_count() == 1, what="reconnect after one report")
        a.transport.report_misbehaviour(b.id, "invalid proposal signature")
        await wait_until(lambda: a.transport.peer_count() == 0, what="disconnect")
        assert a.transport.score_book().is_banned(b.id, asyncio.get_running_loop().time())
        await asyncio.sleep(0.5)
        assert a.transport.peer_count() == 0
        await stop_all([a, b])

    run(body())


def test_peer_that_does_not_read_is_disconnected_when_its_queue_fills(caplog):
    async def body():
        config = dataclasses.replace(FAST, send_queue_messages=8)
        client_identity = NodeIdentity.generate()
        server = make_node(allowed=[client_identity.node_id], config=config)
        await server.transport.start()
        session = await raw_session(client_identity, server)  # and then never reads again
        await wait_until(lambda: server.transport.peer_count() == 1)
        queued = [server.transport.broadcast(MessageKind.BLOCK_SYNC, bytes(1 << 20)) for _ in range(32)]
        assert 0 in queued and queued[0] == 1
        assert server.transport.peer_count() == 0
        await session.close()
        await server.transport.stop()

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        run(body())
    assert _events(caplog, "p2p.peer_backpressure")


def test_peer_that_stops_reading_is_disconnected_after_the_send_timeout():
    async def body():
        config = dataclasses.replace(FAST, send_timeout=0.3)
        client_identity = NodeIdentity.generate()
        server = make_node(allowed=[client_identity.node_id], config=config)
        await server.transport.start()
        session = await raw_session(client_identity, server)
        await wait_until(lambda: server.transport.peer_count() == 1)
        for _ in range(40):  # within the queue bound, far beyond the socket buffers
            server.transport.broadcast(MessageKind.BLOCK_SYNC, bytes(1 << 20))
        await wait_until(lambda: server.transport.peer_count() == 0, what="send timeout")
        await session.close()
        await server.transport.stop()

    run(body())


def test_silent_peer_is_dropped_after_the_idle_timeout():
    async def body():
        config = dataclasses.replace(FAST, ping_interval=0.1, idle_timeout=0.3)
        client_identity = NodeIdentity.generate()
        server = make_node(allowed=[client_identity.node_id], config=config)
        await server.transport.start()
        session = await raw_session(client_identity, server)
        await wait_until(lambda: server.transport.peer_count() == 1)
        assert await session.closed_by_remote(timeout=3)
        assert server.transport.peer_count() == 0
        await session.close()
        await server.transport.stop()

    run(body())


def test_keepalive_keeps_an_idle_but_live_pair_connected():
    async def body():
        config = dataclasses.replace(FAST, ping_interval=0.05, idle_timeout=0.5)
        nodes = await mesh(2, config)
        since = [n.transport.peers()[0].connected_since for n in nodes]
        await asyncio.sleep(1.5)  # three idle timeouts long: only pings/pongs keep it up
        assert [n.transport.peers()[0].connected_since for n in nodes] == since
        await stop_all(nodes)

    run(body())


def test_listening_on_a_taken_port_is_a_clear_error():
    async def body():
        first = make_node()
        await first.transport.start()
        port = first.transport.listen_address[1]
        second = make_node(config=dataclasses.replace(FAST, listen_port=port))
        with pytest.raises(P2PError, match=f"cannot listen on 127.0.0.1:{port}"):
            await second.transport.start()
        with pytest.raises(P2PError):
            second.transport.add_static_peer(first.static())
        await first.transport.stop()
        await second.transport.stop()  # stopping a transport that never started is harmless

    run(body())


def test_garbage_and_silent_clients_are_closed_during_the_handshake(caplog):
    async def body():
        server = make_node(config=dataclasses.replace(FAST, handshake_timeout=0.3))
        await server.transport.start()
        host, port = server.transport.listen_address
        garbage_reader, garbage_writer = await asyncio.open_connection(host, port)
        garbage_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(100))
        silent_reader, silent_writer = await asyncio.open_connection(host, port)
        assert await garbage_reader.read() == b""  # closed without an answer
        assert await silent_reader.read() == b""  # closed when the handshake timeout ran out
        for writer in (garbage_writer, silent_writer):
            writer.close()
        assert server.transport.peer_count() == 0
        await server.transport.stop()

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        run(body())
    assert len(_events(caplog, "p2p.handshake_failed")) == 2


def test_connection_limit_refuses_extra_inbound_connections(caplog):
    async def body():
        client_identity = NodeIdentity.generate()
        server = make_node(
            allowed=[client_identity.node_id], config=dataclasses.replace(FAST, max_connections=1)
        )
        await server.transport.start()
        session = await raw_session(client_identity, server)
        await wait_until(lambda: server.transport.peer_count() == 1)
        host, port = server.transport.listen_address
        reader, writer = await asyncio.open_connection(host, port)
        assert await reader.read() == b""
        writer.close()
        assert server.transport.peer_count() == 1
        await session.close()
        await server.transport.stop()

    with caplog.at_level(logging.INFO, logger="node.p2p"):
        run(body())
    assert any(e["reason"] == "connection limit reached" for e in _events(caplog, "p2p.peer_refused"))


def test_peer_restarted_while_old_connection_lingers_is_let_back_in_before_the_idle_timeout():
    async def body():
        config = dataclasses.replace(FAST, ping_interval=0.1, idle_timeout=20.0)
        low_id, high_id = sorted([NodeIdentity.generate(), NodeIdentity.generate()], key=lambda i: i.node_id)
        ids = [low_id.node_id, high_id.node_id]
        low, high = make_node(low_id, ids, config=config), make_node(high_id, ids, config=config)
        await low.transport.start()
        await high.transport.start()
        low.transport.add_static_peer(high.static())  # the connection is initiated by the lower id
        await wait_until(lambda: low.transport.peer_count() == 1 and high.transport.peer_count() == 1)
        # "Freeze" the high node: its connection stops reading and answering, the socket stays open.
        frozen = high.transport._connections[low.id]
        for task in frozen._tasks:
            task.cancel()
        # The high node comes back as a new process with the same key and dials the low node.
        reborn = make_node(high_id, ids, config=config, seed=5)
        await reborn.transport.start()
        reborn.transport.add_static_peer(low.static())
        await wait_until(lambda: reborn.transport.peer_count() == 1, timeout=5, what="reborn connected")
        assert (
            low.transport.peers()[0].direction == "inbound"
        )  # the restarted node's dial replaced the old one
        await stop_all([low, high, reborn])

    run(body())


def test_pending_request_fails_at_once_when_the_peer_disconnects():
    async def body():
        a, b = await mesh(2)
        never = asyncio.Event()

        async def stuck(peer_id: str, payload: bytes) -> bytes:
            await never.wait()
            return b""

        b.transport.set_request_handler(MessageKind.BLOCK_SYNC, stuck)
        pending = asyncio.ensure_future(a.transport.request(b.id, MessageKind.BLOCK_SYNC, b"1", timeout=20))
        await asyncio.sleep(0.1)
        await b.transport.stop()
        with pytest.raises(PeerNotConnected):
            await asyncio.wait_for(pending, 5)  # long before the 20 s timeout
        await a.transport.stop()

    run(body())
