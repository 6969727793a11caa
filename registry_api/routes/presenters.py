"""Table rows to public schemas (the only place the API's output shape is assembled)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from registry_api.models.schemas import ApplicationPublic, ComplaintPublic, DeadlinesPublic, DocumentPublic
from registry_api.models.tables import Application, Complaint
from registry_api.services.applications import Ports, documents_of, timeliness_of
from registry_api.services.workflow import RefusalGround, Status


def application_public(
    session: Session, app: Application, *, ports: Ports, now: dt.datetime
) -> ApplicationPublic:
    return ApplicationPublic(
        number=app.number or "",
        applicant_id=app.applicant_id,
        applicant_name=app.applicant_name,
        status=Status(app.status),
        timeliness=timeliness_of(app, ports=ports, now=now),
        submitted_at=app.submitted_at,
        registered_at=app.registered_at,
        profile_key=app.profile_key,
        profile_out_of_range=app.profile_out_of_range,
        form_sha256=app.form_sha256,
        deadlines=DeadlinesPublic(
            registration_day=app.registration_day,
            registration_due=app.registration_due,
            completeness_due=app.completeness_due,
            examination_due=app.examination_due,
            hearing_notice_due=app.hearing_notice_due,
            hearing_due=app.hearing_due,
            service_term_due=app.service_term_due,
            current_due=app.current_due,
        ),
        refusal_grounds=[RefusalGround(g) for g in app.refusal_grounds] if app.refusal_grounds else None,
        missing_documents=app.missing_documents,
        hearing_at=app.hearing_at,
        hearing_notice_late=app.hearing_notice_late,
        decision_reason=app.decision_reason,
        documents=[
            DocumentPublic(
                kind=d.kind,
                number=d.number,
                sha256=d.sha256,
                pdf_sha256=d.pdf_sha256,
                signed_at=d.signed_at,
                valid_until=d.valid_until,
            )
            for d in documents_of(session, app)
        ],
    )


def complaint_public(complaint: Complaint, application_number: str) -> ComplaintPublic:
    return ComplaintPublic(
        id=complaint.id,
        application_number=application_number,
        addressee=complaint.addressee,
        status=complaint.status,
        filed_at=complaint.filed_at,
        registration_day=complaint.registration_day,
        forward_due=complaint.forward_due,
        review_due=complaint.review_due,
        resolved_at=complaint.resolved_at,
        outcome=complaint.outcome,
    )
