"""Record a stage change: an append-only audit row and a monitoring outbox row, in the caller's transaction.

R-MON-1 requires every stage to reach the monitoring system; writing the event in the same transaction
as the change means a committed stage can never miss its event, and a rolled-back one never sends one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

from registry_api.models.tables import Application, AuditEntry, OutboxEvent
from registry_api.services.auth import Principal


def record_stage(
    session: Session,
    *,
    application: Application,
    principal: Principal,
    action: str,
    from_status: str | None,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
    event_type: str = "stage_changed",
) -> OutboxEvent:
    """Append the audit row and the outbox event for ``application``'s current status."""
    extra = detail or {}
    session.add(
        AuditEntry(
            application_id=application.id,
            at=now,
            actor=principal.iin,
            role=principal.role.value,
            action=action,
            from_status=from_status,
            to_status=application.status,
            detail=extra,
        )
    )
    event = OutboxEvent(
        id=str(uuid.uuid4()),
        application_id=application.id,
        event_type=event_type,
        payload={
            "service": "permit-secured-digital-assets",
            "request_number": application.number,
            "stage": application.status,
            "action": action,
            "at": now.astimezone(dt.UTC).isoformat(),
            "profile_key": application.profile_key,
            "current_due": application.current_due.isoformat() if application.current_due else None,
            **extra,
        },
        created_at=now,
        attempts=0,
        next_attempt_at=now,
        delivered_at=None,
        last_error=None,
    )
    session.add(event)
    return event
