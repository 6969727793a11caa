"""``/v1/complaints`` and ``/v1/regulator/complaints``: R-CMP-1/2."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from registry_api.deps import AnyoneDep, ApplicantDep, NowDep, OfficerDep, SessionDep, SettingsDep
from registry_api.models.schemas import ComplaintDecisionIn, ComplaintIn, ComplaintPublic
from registry_api.models.tables import Application, Complaint
from registry_api.routes.presenters import complaint_public
from registry_api.services import complaints

router = APIRouter(tags=["complaints"])


def _number(session: SessionDep, complaint: Complaint) -> str:
    return session.scalar(select(Application.number).where(Application.id == complaint.application_id)) or ""


@router.post("/v1/complaints", response_model=ComplaintPublic, status_code=201)
def file(
    *, body: ComplaintIn, principal: ApplicantDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ComplaintPublic:
    complaint = complaints.file_complaint(
        session,
        principal=principal,
        application_number=body.application_number,
        addressee=body.addressee,
        text=body.text,
        settings=settings,
        now=now,
    )
    return complaint_public(complaint, body.application_number)


@router.get("/v1/complaints", response_model=list[ComplaintPublic])
def listing(*, principal: AnyoneDep, session: SessionDep) -> list[ComplaintPublic]:
    return [
        complaint_public(c, _number(session, c))
        for c in complaints.list_complaints(session, principal=principal)
    ]


@router.post("/v1/regulator/complaints/{complaint_id}/decision", response_model=ComplaintPublic)
def decide(
    *,
    complaint_id: int,
    body: ComplaintDecisionIn,
    principal: OfficerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ComplaintPublic:
    complaint = complaints.decide_complaint(
        session,
        complaint_id=complaint_id,
        decision=body.decision,
        outcome=body.outcome,
        principal=principal,
        settings=settings,
        now=now,
    )
    return complaint_public(complaint, _number(session, complaint))
