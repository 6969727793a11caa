"""``/v1/applications``: the applicant's side — submit, and the personal cabinet (R-REG-2, R-RES-1)."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Header, Response
from sqlalchemy import select

from registry_api.deps import AnyoneDep, ApplicantDep, NowDep, PortsDep, SessionDep
from registry_api.exceptions import NotFound
from registry_api.models.schemas import ApplicationPublic, ApplicationSubmission
from registry_api.models.tables import Document
from registry_api.routes.presenters import application_public
from registry_api.services import applications

router = APIRouter(prefix="/v1/applications", tags=["applicant"])


@router.post("", response_model=ApplicationPublic, status_code=201)
def submit(
    *,
    body: ApplicationSubmission,
    response: Response,
    principal: ApplicantDep,
    session: SessionDep,
    ports: PortsDep,
    now: NowDep,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", min_length=8, max_length=128),
) -> ApplicationPublic:
    app, created = applications.submit(
        session, submission=body, principal=principal, ports=ports, now=now, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/applications/{app.number}"
    return application_public(session, app, ports=ports, now=now)


@router.get("", response_model=list[ApplicationPublic])
def cabinet(
    *, principal: ApplicantDep, session: SessionDep, ports: PortsDep, now: NowDep
) -> list[ApplicationPublic]:
    return [
        application_public(session, a, ports=ports, now=now)
        for a in applications.list_own(session, principal=principal)
    ]


@router.get("/{number}", response_model=ApplicationPublic)
def one(
    *, number: str, principal: AnyoneDep, session: SessionDep, ports: PortsDep, now: NowDep
) -> ApplicationPublic:
    app = applications.get_visible(session, number=number, principal=principal)
    return application_public(session, app, ports=ports, now=now)


@router.get("/{number}/documents/{document_number}.{fmt}")
def document(
    *, number: str, document_number: str, fmt: str, principal: AnyoneDep, session: SessionDep
) -> Response:
    """The signed result: ``json`` (canonical, what was signed), ``pdf``, or ``p7s`` (detached CMS)."""
    app = applications.get_visible(session, number=number, principal=principal)
    doc = session.scalars(
        select(Document).where(Document.application_id == app.id, Document.number == document_number)
    ).first()
    if doc is None or fmt not in ("json", "pdf", "p7s"):
        raise NotFound(f"no document {document_number}.{fmt}")
    if fmt == "json":
        return Response(doc.canonical_json.encode(), media_type="application/json")
    if fmt == "pdf":
        return Response(doc.pdf, media_type="application/pdf")
    return Response(base64.b64encode(doc.signature), media_type="application/pkcs7-signature")
