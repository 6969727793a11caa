"""The public JSON API (no login): issuer status, the register, permit status, issuer history, and
verification by upload or by number. HTTP only: every answer comes from ``register`` or
``registry_api.verification``; errors become problem responses in ``routes.problems``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from registry_api.deps import NowDep, SessionDep
from registry_api.exceptions import PayloadTooLarge
from registry_api.public import register
from registry_api.public.context import PublicContext
from registry_api.public.schemas import IssuerHistory, IssuerOut, IssuerPage, PermitOut, ReportOut
from registry_api.public.service_copies import stored_permit
from registry_api.verification.moments import parse_moment
from registry_api.verification.report import VerificationReport
from registry_api.verification.verifier import (
    Evidence,
    chain_now,
    document_number,
    parse_permit_hash,
    verify_permit,
)

router = APIRouter(prefix="/v1/public", tags=["public"])


def get_public(request: Request) -> PublicContext:
    context: PublicContext = request.app.state.public
    return context


PublicDep = Annotated[PublicContext, Depends(get_public)]
AtQuery = Annotated[str | None, Query(description="unix seconds, YYYY-MM-DD or ISO date-time; default now")]


def moment(ctx: PublicContext, at: str | None, now: dt.datetime) -> dt.datetime:
    return parse_moment(at, ctx.tz) if at is not None else chain_now(ctx.chain(), now)


def read_upload(upload: UploadFile | None, limit: int, what: str) -> bytes | None:
    if upload is None:
        return None
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the {what} exceeds {limit} bytes", code="upload_too_large")
    return data or None


def verify_uploaded(
    ctx: PublicContext,
    session: Session,
    now: dt.datetime,
    *,
    document: bytes | None,
    signature: bytes | None,
    permit_hash: str | None,
    number: str | None,
    at: str | None,
) -> VerificationReport:
    """Verify what a person uploaded (or, for a number alone, the service's own copy of it)."""
    when = parse_moment(at, ctx.tz) if at else None
    number = number.strip() if number and number.strip() else None
    service = None
    if document is not None:  # the person's own copy is the evidence; the service's is only compared
        named = document_number(document)
        service = stored_permit(session, named) if named else None
    elif number and not permit_hash:
        service = stored_permit(session, number)
    evidence = Evidence(
        document=document if document is not None or service is None else service.document,
        signature=signature if document is not None or service is None else service.signature,
        permit_hash=parse_permit_hash(permit_hash) if permit_hash else None,
        number=number,
        service_copy=service.copy if service else None,
        document_from_service=document is None and service is not None,
    )
    return verify_permit(evidence, chain=ctx.chain(), signatures=ctx.signatures, now=now, at=when, tz=ctx.tz)


@router.get("/issuers/{issuer_id}", response_model=IssuerOut)
def issuer_status(issuer_id: str, ctx: PublicDep, now: NowDep, at: AtQuery = None) -> dict[str, Any]:
    return register.issuer_status(ctx.chain(), issuer_id, moment(ctx, at, now), ctx.tz)


@router.get("/issuers", response_model=IssuerPage)
def list_issuers(
    *,
    ctx: PublicDep,
    now: NowDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    platform: Annotated[str | None, Query(max_length=register.MAX_FILTER_CHARS)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 20,
    at: AtQuery = None,
) -> dict[str, Any]:
    size = min(page_size, ctx.max_page_size)
    result = register.list_issuers(
        ctx.chain(), moment(ctx, at, now), ctx.tz, status=status, platform=platform, page=page, page_size=size
    )
    return result.as_json()


@router.get("/issuers/{issuer_id}/history", response_model=IssuerHistory)
def issuer_history(issuer_id: str, ctx: PublicDep) -> dict[str, Any]:
    return {"issuer_id": issuer_id, "revisions": register.issuer_history(ctx.chain(), issuer_id)}


@router.get("/permits/{number}", response_model=PermitOut)
def permit_status(number: str, ctx: PublicDep, now: NowDep, at: AtQuery = None) -> dict[str, Any]:
    return register.permit_status(ctx.chain(), number, moment(ctx, at, now), ctx.tz)


@router.post("/verify", response_model=ReportOut)
def verify_upload(
    *,
    ctx: PublicDep,
    session: SessionDep,
    now: NowDep,
    document: Annotated[UploadFile | None, File(description="the permit's canonical JSON")] = None,
    signature: Annotated[UploadFile | None, File(description="its detached CMS (.p7s)")] = None,
    permit_hash: Annotated[str | None, Form(alias="hash", max_length=66)] = None,
    number: Annotated[str | None, Form(max_length=64)] = None,
    at: Annotated[str | None, Form(max_length=64)] = None,
) -> dict[str, Any]:
    report = verify_uploaded(
        ctx,
        session,
        now,
        document=read_upload(document, ctx.max_upload_bytes, "document"),
        signature=read_upload(signature, ctx.max_upload_bytes, "signature"),
        permit_hash=permit_hash,
        number=number,
        at=at,
    )
    return report.as_json()


@router.get("/verify/{number}", response_model=ReportOut)
def verify_number(
    number: str, ctx: PublicDep, session: SessionDep, now: NowDep, at: AtQuery = None
) -> dict[str, Any]:
    report = verify_uploaded(
        ctx, session, now, document=None, signature=None, permit_hash=None, number=number, at=at
    )
    return report.as_json()
