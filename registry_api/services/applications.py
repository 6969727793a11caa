"""The workflow service: intake, every officer/head step, the cabinet and the regulator's lists.

No HTTP here: functions take a session, the principal, ``now`` and the ports, raise RegistryError
subclasses, and commit exactly once per accepted step (the stage change, its audit row, its outbox
event and any signed document go together or not at all).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from registry_api.core.config import Settings
from registry_api.exceptions import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from registry_api.models.schemas import (
    ApplicantKind,
    ApplicationForm,
    ApplicationSubmission,
    AttachmentKind,
)
from registry_api.models.tables import Application, Attachment, Document
from registry_api.services.auth import Principal
from registry_api.services.canonical import canonical_bytes, decode_base64, sha256_hex
from registry_api.services.documents import issue_result_document
from registry_api.services.signatures import DocumentSigner, Expectation, SignatureVerifier
from registry_api.services.stages import record_stage
from registry_api.services.workflow import (
    Action,
    RefusalGround,
    Role,
    Schedule,
    Status,
    Timeliness,
    decide,
    initial_schedule,
    required_role,
    timeliness,
)


@dataclass(frozen=True, slots=True)
class Ports:
    """What the workflow needs from the outside world, injected by the HTTP shell or a test."""

    settings: Settings
    verifier: SignatureVerifier
    head_signer: DocumentSigner | None


def schedule_of(app: Application) -> Schedule:
    return Schedule(
        registration_day=app.registration_day,
        registration_due=app.registration_due,
        completeness_due=app.completeness_due,
        service_term_due=app.service_term_due,
        hearing_notice_due=app.hearing_notice_due,
        examination_due=app.examination_due,
        hearing_due=app.hearing_due,
    )


def _apply_schedule(app: Application, schedule: Schedule) -> None:
    app.examination_due = schedule.examination_due
    app.hearing_due = schedule.hearing_due
    app.current_due = schedule.due_for(Status(app.status))


def canonical_form_bytes(form: ApplicationForm) -> bytes:
    """The exact bytes the applicant signs: RFC 8785 JSON of the Annex 2 form."""
    return canonical_bytes(form.model_dump(mode="json"))


def _check_attachments(submission: ApplicationSubmission, settings: Settings) -> list[tuple[bytes, str]]:
    """R-DOC-1.2/1.3: one backing document of a listed kind and one guarantee letter with node endpoints."""
    if len(submission.attachments) > settings.max_attachments:
        raise PayloadTooLarge(f"at most {settings.max_attachments} attachments", code="too_many_attachments")
    decoded: list[tuple[bytes, str]] = []
    for item in submission.attachments:
        content = decode_base64(item.content_base64, f"attachment {item.filename}")
        if len(content) > settings.max_attachment_bytes:
            raise PayloadTooLarge(
                f"attachment {item.filename} exceeds {settings.max_attachment_bytes} bytes",
                code="attachment_too_large",
            )
        if not content:
            raise InvalidInput(f"attachment {item.filename} is empty", code="attachment_empty")
        if item.kind is AttachmentKind.BACKING and item.backing_kind is None:
            raise InvalidInput(
                "the backing document must name its kind (R-DOC-1.2)", code="backing_kind_missing"
            )
        if item.kind is AttachmentKind.GUARANTEE_LETTER:
            if item.backing_kind is not None:
                raise InvalidInput("a guarantee letter has no backing kind", code="attachment_invalid")
            if not item.node_endpoints:
                raise InvalidInput(
                    "the guarantee letter lists the platform's node endpoints (R-DOC-1.3)",
                    code="node_endpoints_missing",
                )
        decoded.append((content, sha256_hex(content)))
    kinds = Counter(item.kind for item in submission.attachments)
    if kinds[AttachmentKind.BACKING] != 1 or kinds[AttachmentKind.GUARANTEE_LETTER] != 1:
        raise InvalidInput(
            "attach exactly one backing document and one guarantee letter (R-DOC-1)",
            code="documents_incomplete",
        )
    listed = Counter((d.kind, d.sha256) for d in submission.form.attached_documents)
    attached = Counter(
        (item.kind, digest) for item, (_, digest) in zip(submission.attachments, decoded, strict=True)
    )
    if listed != attached:
        raise InvalidInput(
            "the signed list of attached documents does not match the files (kind and SHA-256)",
            code="attachment_list_mismatch",
        )
    return decoded


def _expectation(form: ApplicationForm) -> Expectation:
    """The applicant's own EDS (entrepreneur: its IIN) or an authorised signatory of its BIN."""
    if form.applicant_kind is ApplicantKind.LEGAL_ENTITY:
        return Expectation(purpose="signing", bin=form.requisites.iin_bin, right_to_sign=True)
    return Expectation(purpose="signing", iin=form.requisites.iin_bin)


def submit(
    session: Session,
    *,
    submission: ApplicationSubmission,
    principal: Principal,
    ports: Ports,
    now: dt.datetime,
    idempotency_key: str | None,
) -> tuple[Application, bool]:
    """R-CH-1, R-DOC-1, R-REG-2: accept a signed application; durable (committed) before returning.

    Returns the application and whether it was created now; a retry with the same ``Idempotency-Key``
    and the same body returns the first result and creates nothing.
    """
    request_hash = sha256_hex(canonical_bytes(submission.model_dump(mode="json")))
    if idempotency_key is not None:
        existing = _by_idempotency(session, principal.applicant_id, idempotency_key)
        if existing is not None:
            return _same_request(existing, request_hash), False
    form = submission.form
    if form.requisites.iin_bin != principal.applicant_id:
        raise Forbidden("an applicant may only submit its own application", code="applicant_mismatch")
    files = _check_attachments(submission, ports.settings)
    signed = canonical_form_bytes(form)
    cms = decode_base64(submission.signature_base64, "signature")
    signer = ports.verifier.verify(cms, data=signed, now=now, expect=_expectation(form))

    settings = ports.settings
    schedule = initial_schedule(now, calendar=settings.calendar)
    app = Application(
        applicant_id=form.requisites.iin_bin,
        applicant_name=form.applicant_name,
        status=Status.ACCEPTED.value,
        profile_key=settings.profile.key,
        profile_out_of_range=not settings.profile.covers(schedule.registration_day),
        submitted_at=now,
        registration_day=schedule.registration_day,
        registered_at=None,
        registration_due=schedule.registration_due,
        completeness_due=schedule.completeness_due,
        service_term_due=schedule.service_term_due,
        hearing_notice_due=schedule.hearing_notice_due,
        examination_due=None,
        hearing_due=None,
        current_due=schedule.registration_due,
        form_json=signed.decode(),
        form_sha256=sha256_hex(signed),
        signature=cms,
        signer_iin=signer.iin,
        signer_bin=signer.bin,
        signer_algorithm=signer.algorithm,
        idempotency_key=idempotency_key,
        request_sha256=request_hash,
        hearing_notice_late=False,
    )
    session.add(app)
    try:
        session.flush()
        app.number = f"SDA-{schedule.registration_day.year}-{app.id:06d}"
        for item, (content, digest) in zip(submission.attachments, files, strict=True):
            session.add(
                Attachment(
                    application_id=app.id,
                    kind=item.kind.value,
                    backing_kind=item.backing_kind.value if item.backing_kind else None,
                    filename=item.filename,
                    content_type=item.content_type,
                    size=len(content),
                    sha256=digest,
                    content=content,
                    node_endpoints=[str(u) for u in item.node_endpoints] if item.node_endpoints else None,
                )
            )
        record_stage(
            session,
            application=app,
            principal=principal,
            action="submit",
            from_status=None,
            now=now,
            detail={"profile_out_of_range": app.profile_out_of_range},
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = (
            _by_idempotency(session, principal.applicant_id, idempotency_key) if idempotency_key else None
        )
        if existing is None:
            raise
        return _same_request(existing, request_hash), False
    return app, True


def _by_idempotency(session: Session, applicant_id: str, key: str) -> Application | None:
    return session.scalars(
        select(Application).where(
            Application.applicant_id == applicant_id, Application.idempotency_key == key
        )
    ).first()


def _same_request(existing: Application, request_hash: str) -> Application:
    if existing.request_sha256 != request_hash:
        raise Conflict("this Idempotency-Key was used for a different request", code="idempotency_key_reused")
    return existing


def get_visible(session: Session, *, number: str, principal: Principal) -> Application:
    """An application the principal may see: its own for an applicant, any for staff."""
    app = session.scalars(select(Application).where(Application.number == number)).first()
    if app is None or (principal.role is Role.APPLICANT and app.applicant_id != principal.applicant_id):
        raise NotFound(f"no application {number}")  # never reveal another applicant's request exists
    return app


def list_own(session: Session, *, principal: Principal) -> Sequence[Application]:
    return session.scalars(
        select(Application).where(Application.applicant_id == principal.applicant_id).order_by(Application.id)
    ).all()


def list_for_regulator(
    session: Session,
    *,
    ports: Ports,
    now: dt.datetime,
    only: Timeliness | None,
    status: Status | None,
    limit: int,
    offset: int = 0,
) -> list[Application]:
    """Requests by nearest deadline; ``only`` keeps the late or at-risk ones (R-TIME-2 monitoring).

    Lateness is decided in SQL (``current_due`` is stored for that); "at risk" needs the working-day
    calendar, so only requests not yet late are checked in Python.
    """
    query = select(Application).order_by(Application.current_due, Application.id)
    if status is not None:
        query = query.where(Application.status == status.value)
    if only is Timeliness.LATE:
        query = query.where(Application.current_due < now)
    elif only is not None:
        query = query.where((Application.current_due >= now) | Application.current_due.is_(None))
    if only in (None, Timeliness.LATE):
        return list(session.scalars(query.offset(offset).limit(limit)).all())
    rows = [app for app in session.scalars(query).all() if timeliness_of(app, ports=ports, now=now) is only]
    return rows[offset : offset + limit]


def timeliness_of(app: Application, *, ports: Ports, now: dt.datetime) -> Timeliness:
    return timeliness(
        Status(app.status),
        schedule_of(app),
        now=now,
        calendar=ports.settings.calendar,
        at_risk_days=ports.settings.at_risk_working_days,
    )


def documents_of(session: Session, app: Application) -> Sequence[Document]:
    return session.scalars(
        select(Document).where(Document.application_id == app.id).order_by(Document.id)
    ).all()


def act(
    session: Session,
    *,
    number: str,
    action: Action,
    principal: Principal,
    ports: Ports,
    now: dt.datetime,
    grounds: Sequence[RefusalGround] = (),
    hearing_at: dt.datetime | None = None,
    reason: str | None = None,
    missing_documents: Sequence[str] = (),
) -> Application:
    """Take one workflow step as ``principal``; the role is checked against the step, not just the route."""
    needed = required_role(action)
    if principal.role is not needed:
        raise Forbidden(f"{action.value} is done by the {needed.value}", code="role_not_allowed")
    app = get_visible(session, number=number, principal=principal)
    before = app.status
    decision = decide(
        Status(before),
        action,
        at=now,
        schedule=schedule_of(app),
        calendar=ports.settings.calendar,
        grounds=tuple(grounds),
        hearing_at=hearing_at,
    )
    app.status = decision.status.value
    _apply_schedule(app, decision.schedule)
    detail: dict[str, object] = {}
    if action is Action.REGISTER:
        app.registered_at = now
    elif action is Action.INCOMPLETE:
        if not missing_documents:
            raise InvalidInput(
                "name the missing or expired documents (R-CHK-1)", code="missing_documents_empty"
            )
        app.missing_documents = list(missing_documents)
        detail["missing_documents"] = list(missing_documents)
    elif action is Action.PRELIMINARY_REFUSAL:
        app.refusal_grounds = [g.value for g in grounds]
        app.hearing_at = hearing_at
        app.hearing_notice_late = decision.notice_late
        app.decision_reason = reason
        detail.update(grounds=app.refusal_grounds, notice_late=decision.notice_late)
    elif action in (Action.HEARING_GRANT, Action.HEARING_REFUSE):
        if app.hearing_at is not None and now < app.hearing_at:
            raise Conflict("the hearing has not been held yet", code="hearing_not_held")
        app.decision_reason = reason
    event_type = "stage_changed"
    if action is Action.SIGN:
        if ports.head_signer is None:
            raise Conflict("no head signing key is configured", code="head_key_missing")
        if ports.head_signer.signer.iin != principal.iin:
            # The configured key is the head's own EDS: nobody else may make it sign (R-RES-1).
            raise Forbidden("only the holder of the configured head key may sign", code="head_key_mismatch")
        document = issue_result_document(
            session, app=app, settings=ports.settings, signer=ports.head_signer, now=now
        )
        detail.update(document_number=document.number, document_sha256=document.sha256)
        if decision.status is Status.PERMIT_ISSUED:
            # The seam for anchoring and the issuer register (a later issue): consumers read this event.
            event_type = "permit_issued"
    record_stage(
        session,
        application=app,
        principal=principal,
        action=action.value,
        from_status=before,
        now=now,
        detail=detail,
        event_type=event_type,
    )
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(
            "the application changed meanwhile; reload and retry", code="concurrent_update"
        ) from exc
    return app
