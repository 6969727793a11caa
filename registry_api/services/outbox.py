"""Delivery of monitoring events (R-MON-1): at least once, with retries and capped exponential backoff.

Events are written by :func:`registry_api.services.stages.record_stage` in the same transaction as the
stage change. This worker POSTs each due event to the monitoring endpoint with ``Idempotency-Key`` set
to the event id (so a receiver drops duplicates), marks it delivered only on a 2xx answer, and
otherwise schedules the next attempt. Nothing is ever dropped: an event stays until it is delivered.
``now`` and the HTTP client are injected, so tests drive retries without sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from registry_api.models.tables import OutboxEvent

MAX_ERROR_TEXT = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed: int


def backoff(attempts: int, *, base_seconds: float, cap_seconds: float) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failures: base·2^(n-1), never above the cap."""
    return dt.timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    client: httpx.Client,
    url: str,
    now: dt.datetime,
    batch: int,
    base_seconds: float,
    cap_seconds: float,
) -> DeliveryReport:
    """Try every event due at ``now`` once, oldest first; one commit per event."""
    delivered = failed = 0
    with sessions() as session:
        due = session.scalars(
            select(OutboxEvent.id)
            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.next_attempt_at <= now)
            .order_by(OutboxEvent.seq)
            .limit(batch)
        ).all()
    for event_id in due:
        with sessions() as session:
            event = session.scalars(
                select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update(skip_locked=True)
            ).first()
            if event is None or event.delivered_at is not None:
                continue
            body = {
                "id": event.id,
                "type": event.event_type,
                "created_at": event.created_at.isoformat(),
                "payload": event.payload,
            }
            error: str | None = None
            try:
                response = client.post(url, json=body, headers={"Idempotency-Key": event.id})
                if not response.is_success:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            event.attempts += 1
            if error is None:
                event.delivered_at = now
                event.last_error = None
                delivered += 1
            else:
                event.last_error = error[:MAX_ERROR_TEXT]
                event.next_attempt_at = now + backoff(
                    event.attempts, base_seconds=base_seconds, cap_seconds=cap_seconds
                )
                failed += 1
            session.commit()
    return DeliveryReport(delivered=delivered, failed=failed)


def run_worker(
    stop: threading.Event,
    sessions: sessionmaker[Session],
    *,
    client: httpx.Client,
    url: str,
    clock: Callable[[], dt.datetime],
    interval_seconds: float,
    batch: int,
    base_seconds: float,
    cap_seconds: float,
) -> None:
    """Deliver due events until ``stop`` is set (the service runs this in a background thread)."""
    while not stop.is_set():
        try:
            deliver_due(
                sessions,
                client=client,
                url=url,
                now=clock(),
                batch=batch,
                base_seconds=base_seconds,
                cap_seconds=cap_seconds,
            )
        except SQLAlchemyError:
            log.exception("outbox delivery pass failed; retrying after the interval")
        stop.wait(interval_seconds)
