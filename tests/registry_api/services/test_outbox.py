"""The monitoring outbox (R-MON-1): at-least-once delivery to a real local HTTP receiver that fails,
then recovers; nothing is lost, retries back off, every POST carries the event id as Idempotency-Key."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from sqlalchemy import select

from registry_api.core.db import make_engine, migrate, session_factory
from registry_api.models.tables import OutboxEvent
from registry_api.services.outbox import backoff, deliver_due
from tests.registry_api.receiver import running_receiver

T0 = dt.datetime(2025, 2, 12, 5, 0, tzinfo=dt.UTC)


@pytest.fixture
def receiver():
    with running_receiver() as server:
        yield server


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _add_events(sessions, n: int) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with sessions() as s:
        for i, event_id in enumerate(ids):
            s.add(
                OutboxEvent(
                    id=event_id,
                    application_id=None,
                    event_type="stage_changed",
                    payload={"i": i},
                    created_at=T0 + dt.timedelta(seconds=i),
                    attempts=0,
                    next_attempt_at=T0,
                    delivered_at=None,
                    last_error=None,
                )
            )
        s.commit()
    return ids


def _deliver(sessions, client, url, now):
    return deliver_due(sessions, client=client, url=url, now=now, batch=50, base_seconds=2, cap_seconds=60)


def test_events_survive_an_outage_and_are_delivered_once_it_recovers(sessions, receiver) -> None:
    ids = _add_events(sessions, 3)
    with httpx.Client(timeout=5) as client:
        report = _deliver(sessions, client, receiver.url, T0)
        assert (report.delivered, report.failed) == (0, 3)
        # Not due again until the backoff has passed: nothing is retried early.
        assert _deliver(sessions, client, receiver.url, T0 + dt.timedelta(seconds=1)).failed == 0
        report = _deliver(sessions, client, receiver.url, T0 + dt.timedelta(seconds=2))
        assert report.failed == 3
        receiver.down = False
        report = _deliver(sessions, client, receiver.url, T0 + dt.timedelta(seconds=6))
        assert (report.delivered, report.failed) == (3, 0)
        # Delivered events are never sent again.
        assert _deliver(sessions, client, receiver.url, T0 + dt.timedelta(hours=1)).delivered == 0
    assert [key for key, _ in receiver.received] == ids
    assert [body["id"] for _, body in receiver.received] == ids
    assert [body["payload"]["i"] for _, body in receiver.received] == [0, 1, 2]
    with sessions() as s:
        rows = s.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
        assert all(r.delivered_at is not None and r.attempts == 3 and r.last_error is None for r in rows)


def test_an_unreachable_endpoint_keeps_events_pending_with_the_error(sessions) -> None:
    _add_events(sessions, 1)
    with httpx.Client(timeout=1) as client:
        report = _deliver(sessions, client, "http://127.0.0.1:9/unreachable", T0)
    assert report.failed == 1
    with sessions() as s:
        event = s.scalars(select(OutboxEvent)).one()
        assert event.delivered_at is None
        assert event.last_error
        assert event.next_attempt_at == T0 + dt.timedelta(seconds=2)


def test_backoff_doubles_and_is_capped() -> None:
    delays = [backoff(n, base_seconds=2, cap_seconds=60).total_seconds() for n in range(1, 8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]
