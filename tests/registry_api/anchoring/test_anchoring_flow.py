"""Anchoring after the head signs, on a real devnet node: exactly once, resumable, with failover."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from node.config import load_node_config
from node.devnet.network import start_node, stop_node_process, wait_until_serving
from registry_api.chain.connection import connect
from registry_api.models.tables import OutboxEvent
from registry_api.services import anchoring
from tests.registry_api.anchoring.conftest import Request, anchor_pass, anchor_row

pytestmark = [pytest.mark.slow, pytest.mark.network]
DEAD_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


@pytest.fixture
def database_url(tmp_path):
    """SQLite only here: these paths do not depend on the database; PostgreSQL runs the worker,
    status-act and five-validator flows."""
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


def _signed_permit(make_client, pki, clock, deployment, **extra):
    client, settings = make_client(pki=pki, **{**deployment.chain_settings(), **extra})
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    return client, settings, number


def test_a_crash_between_recording_and_broadcasting_is_resumed_once(
    make_client, pki, clock, deployment
) -> None:
    client, settings, number = _signed_permit(make_client, pki, clock, deployment)
    sessions = client.app.state.sessions
    with sessions() as session:
        [anchor] = anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
        # The hash was committed, then the process died before the node heard of the transaction.
        anchor.state, anchor.tx_hash = "sent", "0x" + "ab" * 32
        session.commit()
    before = deployment.tx_count()
    result = anchor_pass(sessions, connect(settings), settings, clock.now)
    assert result.anchored == 1
    assert deployment.tx_count() == before + 1
    assert anchor_row(sessions, number).tx_hash != "0x" + "ab" * 32


def test_a_crash_after_broadcasting_is_resumed_without_a_second_send(
    make_client, pki, clock, deployment
) -> None:
    client, settings, number = _signed_permit(make_client, pki, clock, deployment)
    sessions = client.app.state.sessions
    chain = connect(settings)
    before = deployment.tx_count()
    with sessions() as session:
        [anchor] = anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
        signed = anchoring.send_anchor(session, anchor, chain, settings.profile)  # then the process dies
    restarted = connect(settings)
    assert anchor_pass(sessions, restarted, settings, clock.now).anchored == 1
    anchor = anchor_row(sessions, number)
    assert anchor.tx_hash == signed.tx_hash and anchor.state == "anchored"
    assert deployment.tx_count() == before + 1


def test_a_node_outage_is_retried_and_then_anchored_once(make_client, pki, clock, deployment) -> None:
    client, settings, number = _signed_permit(
        make_client, pki, clock, deployment, chain_rpc_urls=[DEAD_URL], chain_rpc_timeout_seconds=1.0
    )
    sessions = client.app.state.sessions
    down = connect(settings)
    result = anchor_pass(sessions, down, settings, clock.now)
    assert (result.anchored, result.failed) == (0, 1)
    anchor = anchor_row(sessions, number)
    assert anchor.state == "intent" and anchor.attempts == 1
    assert anchor.last_error is not None and "chain_unavailable" in anchor.last_error
    assert anchor.next_attempt_at > clock.now
    # Not due yet: nothing is tried before the backoff ends.
    assert anchor_pass(sessions, down, settings, clock.now) == anchoring.AnchorPass(0, 0)

    before = deployment.tx_count()
    failover = connect(settings.model_copy(update={"chain_rpc_urls": [DEAD_URL, *deployment.devnet.rpc]}))
    later = anchor.next_attempt_at
    assert anchor_pass(sessions, failover, settings, later).anchored == 1
    assert anchor_pass(sessions, failover, settings, later).anchored == 0
    assert deployment.tx_count() == before + 1
    assert anchor_row(sessions, number).state == "anchored"


def test_two_permits_signed_at_once_get_distinct_nonces(make_client, pki, clock, deployment) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    numbers = []
    for _ in range(2):
        request = Request(client, settings, pki, clock)
        request.to_signature()
        numbers.append(request.sign())
    sessions = client.app.state.sessions
    with sessions() as session:
        anchors = anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
    chain = connect(settings)  # one sender, one nonce book, shared by both threads
    before = deployment.tx_count()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def anchor_it(anchor_id: int) -> None:
        barrier.wait()
        try:
            anchoring.anchor_one(
                sessions,
                anchor_id,
                chain=chain,
                profile=settings.profile,
                now=clock.now,
                base_seconds=1.0,
                cap_seconds=1.0,
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=anchor_it, args=(a.id,)) for a in anchors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    rows = [anchor_row(sessions, n) for n in numbers]
    assert [r.state for r in rows] == ["anchored", "anchored"], [r.last_error for r in rows]
    assert sorted(r.nonce or -1 for r in rows) == [before, before + 1]
    assert rows[0].tx_hash != rows[1].tx_hash
    assert deployment.tx_count() == before + 2
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.event_type == "permit_issued")
            )
            == 2
        )


def test_the_node_process_stopping_mid_anchoring_is_resumed_once(make_client, pki, clock, deployment) -> None:
    """Broadcast, then the (only) node process stops before confirmation; after its restart the worker
    finishes the same anchoring: one transaction of the registrar, one PermitAnchored event."""
    devnet = deployment.devnet
    client, settings, number = _signed_permit(
        make_client, pki, clock, deployment, chain_rpc_timeout_seconds=1.0
    )
    sessions = client.app.state.sessions
    chain = connect(settings)
    before = deployment.tx_count()
    config_path = devnet.directory / "node-0" / "node.json"
    with sessions() as session:
        [anchor] = anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
        anchoring.send_anchor(session, anchor, chain, settings.profile)
    pid = int((devnet.directory / "node-0" / "node.pid").read_text())
    assert stop_node_process(pid, config_path)
    try:
        outage = anchor_pass(sessions, chain, settings, clock.now)
        assert (outage.anchored, outage.failed) == (0, 1)
        row = anchor_row(sessions, number)
        assert row.state == "sent" and "chain_unavailable" in (row.last_error or "")
    finally:
        node = start_node(load_node_config(config_path))
        wait_until_serving(node)
    assert anchor_pass(sessions, chain, settings, row.next_attempt_at).anchored == 1
    assert deployment.tx_count() == before + 1
    row = anchor_row(sessions, number)
    logs = chain.contracts.anchor_log(bytes.fromhex(row.permit_hash))
    assert logs is not None and logs.tx_hash == row.tx_hash


def test_a_permit_the_registry_cannot_hold_fails_visibly_and_is_not_retried(
    make_client, pki, clock, deployment
) -> None:
    """A platform name the form allows (500 characters) but the contract does not (128 bytes)."""
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock, platform_name="Платформа " * 20)
    request.to_signature()
    number = request.sign()
    sessions = client.app.state.sessions
    before = deployment.tx_count()
    assert anchor_pass(sessions, connect(settings), settings, clock.now).failed == 1
    row = anchor_row(sessions, number)
    assert row.state == "failed" and "chain_value_invalid" in (row.last_error or "")
    later = clock.now + dt.timedelta(days=1)
    assert anchor_pass(sessions, connect(settings), settings, later) == anchoring.AnchorPass(0, 0)
    assert deployment.tx_count() == before


def test_two_service_processes_on_one_intent_anchor_it_once(make_client, pki, clock, deployment) -> None:
    """Two workers with their own chain ports (two processes of the service) race for one intent."""
    client, settings, number = _signed_permit(make_client, pki, clock, deployment)
    sessions = client.app.state.sessions
    with sessions() as session:
        [anchor] = anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
    workers = [connect(settings), connect(settings)]
    barrier = threading.Barrier(2)
    states: list[str] = []

    def run(chain) -> None:
        barrier.wait()
        states.append(
            anchoring.anchor_one(
                sessions,
                anchor.id,
                chain=chain,
                profile=settings.profile,
                now=clock.now,
                base_seconds=1.0,
                cap_seconds=1.0,
            )
        )

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Whatever the interleaving, a later pass settles the row, and the permit is on chain once.
    anchoring.anchor_due(
        sessions,
        chain=workers[0],
        profile=settings.profile,
        now=clock.now + dt.timedelta(minutes=5),
        base_seconds=1.0,
        cap_seconds=1.0,
    )
    row = anchor_row(sessions, number)
    assert row.state == "anchored"
    contracts = workers[0].contracts
    logs = deployment.devnet.w3.eth.get_logs(
        {
            "address": deployment.addresses.permit_registry,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [contracts.anchored_topic, "0x" + row.permit_hash],
        }
    )
    assert len(logs) == 1 and logs[0]["transactionHash"].to_0x_hex() == row.tx_hash
