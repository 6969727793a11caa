"""``/v1/regulator``: the provider's side — lists (late, at risk), each workflow step, the audit trail.

Every endpoint names its roles through a dependency; the service checks the step's role again, so a
route can never widen who may act.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.deps import (
    HeadDep,
    NowDep,
    OfficerDep,
    PortsDep,
    SessionDep,
    StaffDep,
    get_now,
    get_ports,
    get_session,
)
from registry_api.exceptions import NotFound
from registry_api.models.chain_tables import PlatformCheckRecord
from registry_api.models.schemas import (
    ApplicationPublic,
    CompletenessIn,
    HearingOutcomeIn,
    PreliminaryRefusalIn,
)
from registry_api.models.tables import AuditEntry
from registry_api.routes.presenters import application_public
from registry_api.routes.problems import problem
from registry_api.services import applications, platform_gate
from registry_api.services.applications import Ports
from registry_api.services.auth import Principal
from registry_api.services.workflow import Action, Status, Timeliness

router = APIRouter(prefix="/v1/regulator", tags=["regulator"])


@router.get("/requests", response_model=list[ApplicationPublic])
def requests(
    *,
    principal: StaffDep,
    session: SessionDep,
    ports: PortsDep,
    now: NowDep,
    status: Annotated[Literal["late", "at_risk", "on_time"] | None, Query()] = None,
    stage: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationPublic]:
    only = Timeliness(status) if status else None
    rows = applications.list_for_regulator(
        session, ports=ports, now=now, only=only, status=stage, limit=limit, offset=offset
    )
    return [application_public(session, a, ports=ports, now=now) for a in rows]


@router.get("/requests/{number}", response_model=ApplicationPublic)
def one(
    *, number: str, principal: StaffDep, session: SessionDep, ports: PortsDep, now: NowDep
) -> ApplicationPublic:
    app = applications.get_visible(session, number=number, principal=principal)
    return application_public(session, app, ports=ports, now=now)


@router.get("/requests/{number}/audit")
def audit(*, number: str, principal: StaffDep, session: SessionDep) -> list[dict[str, Any]]:
    app = applications.get_visible(session, number=number, principal=principal)
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.application_id == app.id).order_by(AuditEntry.id)
    )
    return [
        {
            "at": r.at.isoformat(),
            "actor": r.actor,
            "role": r.role,
            "action": r.action,
            "from_status": r.from_status,
            "to_status": r.to_status,
            "detail": r.detail,
        }
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Step:
    """What every workflow step needs from the request: a session, the ports and the clock."""

    session: Session
    ports: Ports
    now: dt.datetime

    def run(self, number: str, action: Action, principal: Principal, **kwargs: Any) -> ApplicationPublic:
        app = applications.act(
            self.session,
            number=number,
            action=action,
            principal=principal,
            ports=self.ports,
            now=self.now,
            **kwargs,
        )
        return application_public(self.session, app, ports=self.ports, now=self.now)


def _step(
    session: Annotated[Session, Depends(get_session)],
    ports: Annotated[Ports, Depends(get_ports)],
    now: Annotated[dt.datetime, Depends(get_now)],
) -> Step:
    return Step(session, ports, now)


StepDep = Annotated[Step, Depends(_step)]


@router.post("/requests/{number}/register", response_model=ApplicationPublic)
def register(number: str, principal: OfficerDep, step: StepDep) -> ApplicationPublic:
    """R-REG-3: the office registers the request and passes it to the department."""
    return step.run(number, Action.REGISTER, principal)


@router.post("/requests/{number}/completeness", response_model=ApplicationPublic)
def completeness(
    number: str, body: CompletenessIn, principal: OfficerDep, step: StepDep
) -> ApplicationPublic:
    """R-CHK-1: complete (to examination) or a refusal of further consideration naming what is missing."""
    if body.complete:
        return step.run(number, Action.COMPLETE, principal)
    return step.run(number, Action.INCOMPLETE, principal, missing_documents=body.missing_documents)


@router.post("/requests/{number}/approve", response_model=ApplicationPublic)
def approve(number: str, principal: OfficerDep, step: StepDep) -> ApplicationPublic:
    """R-CHK-2: the examination found no ground for refusal; the permit goes to the head to sign."""
    return step.run(number, Action.APPROVE, principal)


@router.post("/requests/{number}/preliminary-refusal", response_model=ApplicationPublic)
def preliminary_refusal(
    number: str, body: PreliminaryRefusalIn, principal: OfficerDep, step: StepDep
) -> ApplicationPublic:
    """R-HEAR-1, R-REF-1: notify the preliminary refusal with its grounds and the hearing time."""
    return step.run(
        number,
        Action.PRELIMINARY_REFUSAL,
        principal,
        grounds=body.grounds,
        hearing_at=body.hearing_at,
        reason=body.reason,
    )


@router.post("/requests/{number}/hearing", response_model=ApplicationPublic)
def hearing(number: str, body: HearingOutcomeIn, principal: OfficerDep, step: StepDep) -> ApplicationPublic:
    """R-HEAR-1: after the hearing, a permit or a reasoned refusal goes to the head."""
    action = Action.HEARING_GRANT if body.outcome == "grant" else Action.HEARING_REFUSE
    return step.run(number, action, principal, reason=body.reason)


@router.post("/requests/{number}/sign", response_model=ApplicationPublic)
def sign(number: str, principal: HeadDep, step: StepDep) -> ApplicationPublic | JSONResponse:
    """R-RES-1: the head signs the result with the configured key; it reaches the cabinet at once.

    A permit needs a passing, fresh platform-check report first (R-DOC-1.3); a failing one answers 409
    ``platform_check_failed`` with the failed checks in ``reasons``. Anchoring then follows from the
    anchoring worker (the signed permit becomes an intent row).
    """
    app = applications.get_visible(step.session, number=number, principal=principal)
    try:
        platform_gate.require_passing(step.session, app=app, settings=step.ports.settings, now=step.now)
    except platform_gate.PlatformCheckFailed as exc:
        return problem(exc.status, exc.code, exc.message, reasons=exc.reasons)
    return step.run(number, Action.SIGN, principal)


def _check_view(record: PlatformCheckRecord) -> dict[str, Any]:
    return {
        "checked_at": record.checked_at.isoformat(),
        "actor": record.actor,
        "verdict": record.verdict,
        "content_hash": record.content_hash,
        "reasons": record.reasons,
        "report": record.report,
    }


@router.post("/requests/{number}/platform-check")
def platform_check(*, number: str, principal: OfficerDep, step: StepDep) -> dict[str, Any]:
    """R-DOC-1.3: probe the platform's declared nodes; the signed report is stored whatever its verdict."""
    app = applications.get_visible(step.session, number=number, principal=principal)
    record = platform_gate.run_check(
        step.session,
        app=app,
        principal=principal,
        settings=step.ports.settings,
        profile=step.ports.settings.profile,
        now=step.now,
    )
    return _check_view(record)


@router.get("/requests/{number}/platform-check")
def latest_platform_check(*, number: str, principal: StaffDep, session: SessionDep) -> dict[str, Any]:
    """The newest stored platform-check report of the request."""
    app = applications.get_visible(session, number=number, principal=principal)
    record = platform_gate.latest(session, app)
    if record is None:
        raise NotFound(f"no platform check for {number}", code="platform_check_missing")
    return _check_view(record)
