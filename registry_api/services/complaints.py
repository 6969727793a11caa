"""Complaints (R-CMP-1/2): filing, the forwarding window, favourable decisions and review deadlines.

A complaint is filed with the provider. Within ``complaint_forwarding`` working days it must be
forwarded with the case file to the reviewing body, unless within ``complaint_favourable_decision``
working days the provider satisfies it in full. Review takes ``complaint_review_provider`` working days
(complaint to the provider) or ``complaint_review_quality_body`` (to the quality-control body), both
counted from registration (R-REG-3 applies to complaints too: after hours counts from the next day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.core.config import Settings
from registry_api.exceptions import Forbidden, IllegalTransition, NotFound
from registry_api.models.tables import Application, Complaint
from registry_api.services.applications import get_visible
from registry_api.services.auth import Principal
from registry_api.services.stages import record_stage
from registry_api.services.workflow import Role


class ComplaintStatus(StrEnum):
    FILED = "filed"
    SATISFIED = "satisfied"  # favourable decision by the provider within the window: not forwarded
    FORWARDED = "forwarded"
    DECIDED = "decided"


_NEXT: dict[tuple[ComplaintStatus, str], ComplaintStatus] = {
    (ComplaintStatus.FILED, "satisfied"): ComplaintStatus.SATISFIED,
    (ComplaintStatus.FILED, "forwarded"): ComplaintStatus.FORWARDED,
    (ComplaintStatus.FILED, "rejected"): ComplaintStatus.DECIDED,
    (ComplaintStatus.FORWARDED, "rejected"): ComplaintStatus.DECIDED,
    (ComplaintStatus.FORWARDED, "satisfied"): ComplaintStatus.DECIDED,
}


def file_complaint(
    session: Session,
    *,
    principal: Principal,
    application_number: str,
    addressee: str,
    text: str,
    settings: Settings,
    now: dt.datetime,
) -> Complaint:
    if principal.role is not Role.APPLICANT:
        raise Forbidden("complaints are filed by the applicant", code="role_not_allowed")
    app = get_visible(session, number=application_number, principal=principal)
    cal, terms = settings.calendar, settings.profile.deadlines
    registered = cal.registration_day(now)
    review_days = (
        terms.complaint_review_provider if addressee == "provider" else terms.complaint_review_quality_body
    )
    complaint = Complaint(
        application_id=app.id,
        applicant_id=app.applicant_id,
        filed_at=now,
        registration_day=registered,
        addressee=addressee,
        text=text,
        status=ComplaintStatus.FILED.value,
        forward_due=cal.deadline_end(registered, terms.complaint_forwarding),
        review_due=cal.deadline_end(registered, review_days),
        resolved_at=None,
        outcome=None,
    )
    session.add(complaint)
    session.flush()
    record_stage(
        session,
        application=app,
        principal=principal,
        action="complaint_filed",
        from_status=app.status,
        now=now,
        detail={"complaint_id": complaint.id, "addressee": addressee},
        event_type="complaint_filed",
    )
    session.commit()
    return complaint


def decide_complaint(
    session: Session,
    *,
    complaint_id: int,
    decision: str,
    outcome: str,
    principal: Principal,
    settings: Settings,
    now: dt.datetime,
) -> Complaint:
    """An officer records forwarding, a favourable decision, or the reviewing body's decision."""
    if principal.role is not Role.OFFICER:
        raise Forbidden("complaint decisions are recorded by an officer", code="role_not_allowed")
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id}")
    current = ComplaintStatus(complaint.status)
    target = _NEXT.get((current, decision))
    if target is None:
        raise IllegalTransition(f"cannot record '{decision}' for a complaint that is {current.value}")
    if current is ComplaintStatus.FILED and decision == "satisfied":
        window_end = settings.calendar.deadline_end(
            complaint.registration_day, settings.profile.deadlines.complaint_favourable_decision
        )
        if now > window_end:
            raise IllegalTransition(
                "the window for a favourable decision instead of forwarding has closed (R-CMP-1)",
                code="favourable_window_closed",
            )
    complaint.status = target.value
    complaint.outcome = outcome
    if target in (ComplaintStatus.SATISFIED, ComplaintStatus.DECIDED):
        complaint.resolved_at = now
    app = session.get(Application, complaint.application_id)
    if app is None:  # the foreign key makes this impossible; keeps the type honest
        raise NotFound(f"no application for complaint {complaint_id}")
    record_stage(
        session,
        application=app,
        principal=principal,
        action=f"complaint_{decision}",
        from_status=app.status,
        now=now,
        detail={"complaint_id": complaint.id, "complaint_status": target.value},
        event_type="complaint_changed",
    )
    session.commit()
    return complaint


def list_complaints(session: Session, *, principal: Principal) -> Sequence[Complaint]:
    query = select(Complaint).order_by(Complaint.id)
    if principal.role is Role.APPLICANT:
        query = query.where(Complaint.applicant_id == principal.applicant_id)
    return session.scalars(query).all()
