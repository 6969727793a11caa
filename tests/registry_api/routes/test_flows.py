"""Full flows through the HTTP API on a real database with migrations applied, EDS from the dev PKI.

Each flow runs on SQLite and on PostgreSQL. Staff act with tokens of their configured roles (EDS login
itself is covered in test_auth.py); applications and results are signed and verified for real.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from registry_api.models.tables import Application, AuditEntry, OutboxEvent
from registry_api.services.auth import Principal
from registry_api.services.signatures import Expectation
from registry_api.services.workflow import Role
from tests.registry_api.conftest import bearer
from tests.registry_api.submissions import form_for, submission


class Flow:
    """One service request's journey, driven over HTTP."""

    def __init__(self, client, settings, pki, clock, *, legal_entity: bool = True) -> None:
        self.client, self.settings, self.pki, self.clock = client, settings, pki, clock
        if legal_entity:
            self.signer = pki.signing("legal_first_head")
            self.applicant_id = pki.entity_bin
            principal = Principal(iin=self.signer.iin, bin=pki.entity_bin, role=Role.APPLICANT)
        else:
            self.signer = pki.signing("individual_entrepreneur")
            self.applicant_id = self.signer.iin
            principal = Principal(iin=self.signer.iin, bin=None, role=Role.APPLICANT)
        self.legal_entity = legal_entity
        self.applicant = principal
        self.number: str | None = None

    def headers(self, who) -> dict[str, str]:
        if who == "applicant":
            return bearer(self.settings, self.applicant, self.clock.now)
        ident = self.pki.staff(who)
        return bearer(self.settings, Principal(iin=ident.iin, bin=ident.bin, role=Role(who)), self.clock.now)

    def submit(self, body=None, *, key: str | None = None):
        body = body or submission(
            self.signer, applicant_id=self.applicant_id, legal_entity=self.legal_entity, at=self.clock.now
        )
        headers = self.headers("applicant") | ({"Idempotency-Key": key} if key else {})
        response = self.client.post("/v1/applications", json=body, headers=headers)
        if response.status_code in (200, 201):
            self.number = response.json()["number"]
        return response

    def step(self, who: str, path: str, body=None, *, expect: int = 200) -> Any:
        response = self.client.post(
            f"/v1/regulator/requests/{self.number}/{path}", json=body or {}, headers=self.headers(who)
        )
        assert response.status_code == expect, response.json()
        return response.json()

    def view(self) -> Any:
        return self.client.get(f"/v1/applications/{self.number}", headers=self.headers("applicant")).json()


@pytest.fixture
def rsa(make_client, pki, clock):
    client, settings = make_client(pki=pki)
    return Flow(client, settings, pki, clock)


def _outbox_stages(client, number):
    with client.app.state.sessions() as s:
        app = s.scalars(select(Application).where(Application.number == number)).one()
        rows = s.scalars(
            select(OutboxEvent).where(OutboxEvent.application_id == app.id).order_by(OutboxEvent.seq)
        ).all()
        audits = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.application_id == app.id)
        )
        return [(r.event_type, r.payload["stage"]) for r in rows], audits


def test_permit_granted(rsa, clock, pki) -> None:
    response = rsa.submit()
    assert response.status_code == 201, response.json()
    app = response.json()
    assert app["status"] == "accepted"
    assert app["profile_key"] == rsa.settings.profile.key and not app["profile_out_of_range"]
    cal, terms = rsa.settings.calendar, rsa.settings.profile.deadlines
    assert dt.datetime.fromisoformat(app["deadlines"]["completeness_due"]) == cal.deadline_end(
        dt.date(2025, 2, 12), terms.completeness_check
    )
    assert rsa.step("officer", "register")["status"] == "registered"
    clock.set(2025, 2, 13, 11)
    exam = rsa.step("officer", "completeness", {"complete": True})
    assert exam["status"] == "under_examination"
    assert dt.datetime.fromisoformat(exam["deadlines"]["examination_due"]) == cal.deadline_end(
        dt.date(2025, 2, 13), terms.examination
    )
    assert rsa.step("officer", "approve")["status"] == "permit_pending_signature"
    clock.set(2025, 2, 14, 9, 30)
    signed = rsa.step("head", "sign")
    assert signed["status"] == "permit_issued"
    [doc] = signed["documents"]
    assert doc["kind"] == "permit"
    assert doc["valid_until"] == rsa.settings.profile.permit_valid_until(dt.date(2025, 2, 14)).isoformat()

    # The cabinet shows the result; the canonical JSON is what the head's CMS signs.
    cabinet = rsa.client.get("/v1/applications", headers=rsa.headers("applicant")).json()
    assert [a["status"] for a in cabinet] == ["permit_issued"]
    base = f"/v1/applications/{rsa.number}/documents/{doc['number']}"
    canonical = rsa.client.get(f"{base}.json", headers=rsa.headers("applicant")).content
    permit = json.loads(canonical)
    assert permit["state_body"]["name_kk"] == rsa.settings.body_name_kk
    assert permit["state_body"]["name_ru"] == rsa.settings.body_name_ru
    assert "не является" in permit["note"]["ru"] and "financial instrument" in permit["note"]["en"]
    assert permit["verification_url"] == f"https://registry.example.kz/verify/{doc['number']}"
    assert permit["recipient"]["iin_bin"] == pki.entity_bin
    cms = base64.b64decode(rsa.client.get(f"{base}.p7s", headers=rsa.headers("applicant")).content)
    head = rsa.client.app.state.ports.verifier.verify(
        cms,
        data=canonical,
        now=clock.now,
        expect=Expectation(purpose="signing", iin=pki.signing("regulator_head").iin),
    )
    assert head.bin == pki.regulator_bin
    pdf = rsa.client.get(f"{base}.pdf", headers=rsa.headers("applicant"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(canonical).hexdigest() == doc["sha256"]
    assert hashlib.sha256(pdf.content).hexdigest() == doc["pdf_sha256"]

    stages, audits = _outbox_stages(rsa.client, rsa.number)
    assert [s for _, s in stages] == [
        "accepted",
        "registered",
        "under_examination",
        "permit_pending_signature",
        "permit_issued",
    ]
    assert stages[-1][0] == "permit_issued"  # the seam for anchoring and the issuer register
    assert audits == len(stages)


def test_incomplete_documents_end_the_request(rsa) -> None:
    assert rsa.submit().status_code == 201
    rsa.step("officer", "register")
    bad = rsa.step("officer", "completeness", {"complete": False}, expect=422)
    assert bad["code"] == "missing_documents_empty"
    done = rsa.step(
        "officer", "completeness", {"complete": False, "missing_documents": ["guarantee letter expired"]}
    )
    assert done["status"] == "refused_incomplete"
    assert done["missing_documents"] == ["guarantee letter expired"]
    again = rsa.step("officer", "approve", expect=409)
    assert again["code"] == "illegal_transition"
    assert rsa.view()["status"] == "refused_incomplete"


def _to_examination(flow, clock):
    assert flow.submit().status_code == 201
    flow.step("officer", "register")
    flow.step("officer", "completeness", {"complete": True})


def test_refusal_after_a_hearing(rsa, clock) -> None:
    _to_examination(rsa, clock)
    hearing_at = clock.now + dt.timedelta(days=1)
    body = {
        "grounds": ["unreliable_documents", "non_compliance"],
        "reason": "The backing extract is forged.",
        "hearing_at": hearing_at.isoformat(),
    }
    pre = rsa.step("officer", "preliminary-refusal", body)
    assert pre["status"] == "hearing_scheduled"
    assert pre["refusal_grounds"] == ["unreliable_documents", "non_compliance"]
    assert pre["deadlines"]["hearing_due"] is not None and not pre["hearing_notice_late"]
    assert rsa.view()["hearing_at"] is not None  # the applicant sees the notice in the cabinet
    early = rsa.step("officer", "hearing", {"outcome": "refuse", "reason": "x"}, expect=409)
    assert early["code"] == "hearing_not_held"
    clock.now = hearing_at + dt.timedelta(hours=1)
    rsa.step(
        "officer", "hearing", {"outcome": "refuse", "reason": "The position did not remove the grounds."}
    )
    final = rsa.step("head", "sign")
    assert final["status"] == "refused"
    [doc] = final["documents"]
    refusal = json.loads(
        rsa.client.get(
            f"/v1/applications/{rsa.number}/documents/{doc['number']}.json", headers=rsa.headers("applicant")
        ).content
    )
    assert refusal["type"] == "reasoned_refusal"
    assert [g["code"] for g in refusal["grounds"]] == ["unreliable_documents", "non_compliance"]
    assert refusal["reasoning"] == "The position did not remove the grounds."


def test_hearing_ending_in_a_permit(rsa, clock) -> None:
    _to_examination(rsa, clock)
    body = {"grounds": ["non_compliance"], "reason": "r", "hearing_at": clock.now.isoformat()}
    rsa.step("officer", "preliminary-refusal", body)
    rsa.step("officer", "hearing", {"outcome": "grant", "reason": "The applicant proved compliance."})
    assert rsa.step("head", "sign")["status"] == "permit_issued"


def test_a_hearing_later_than_the_rules_allow_is_refused(rsa, clock) -> None:
    _to_examination(rsa, clock)
    body = {
        "grounds": ["non_compliance"],
        "reason": "r",
        "hearing_at": (clock.now + dt.timedelta(days=10)).isoformat(),
    }
    assert rsa.step("officer", "preliminary-refusal", body, expect=422)["code"] == "hearing_time_invalid"


def test_after_hours_submission_counts_from_the_next_working_day(rsa, clock) -> None:
    clock.set(2025, 2, 14, 19, 5)  # Friday evening
    app = rsa.submit().json()
    assert app["deadlines"]["registration_day"] == "2025-02-17"
    clock.set(2025, 2, 15, 10)  # nobody registers it on Saturday
    assert rsa.step("officer", "register", expect=409)["code"] == "registration_not_open"
    clock.set(2025, 2, 17, 9, 30)
    assert rsa.step("officer", "register")["status"] == "registered"
    cal, terms = rsa.settings.calendar, rsa.settings.profile.deadlines
    assert dt.datetime.fromisoformat(app["deadlines"]["service_term_due"]) == cal.deadline_end(
        dt.date(2025, 2, 17), terms.service_term
    )


def test_late_and_at_risk_requests_are_listed(rsa, clock) -> None:
    rsa.submit()
    rsa.step("officer", "register")
    listing = rsa.client.get("/v1/regulator/requests?status=late", headers=rsa.headers("auditor")).json()
    assert listing == []
    clock.set(2025, 2, 14, 10)  # completeness due today: at risk
    at_risk = rsa.client.get("/v1/regulator/requests?status=at_risk", headers=rsa.headers("auditor")).json()
    assert [a["number"] for a in at_risk] == [rsa.number]
    clock.set(2025, 2, 17, 10)  # past the completeness deadline
    late = rsa.client.get("/v1/regulator/requests?status=late", headers=rsa.headers("officer")).json()
    assert [(a["number"], a["timeliness"]) for a in late] == [(rsa.number, "late")]
    assert (
        rsa.client.get("/v1/regulator/requests?status=at_risk", headers=rsa.headers("officer")).json() == []
    )
    on_time = rsa.client.get("/v1/regulator/requests?status=on_time", headers=rsa.headers("officer")).json()
    assert on_time == []
    page = rsa.client.get("/v1/regulator/requests?limit=1&offset=1", headers=rsa.headers("officer")).json()
    assert page == []
    too_many = rsa.client.get("/v1/regulator/requests?limit=100000", headers=rsa.headers("officer"))
    assert (too_many.status_code, too_many.json()["code"]) == (422, "validation_failed")


def test_idempotent_retry_returns_the_same_result_and_creates_nothing(rsa, clock) -> None:
    body = submission(rsa.signer, applicant_id=rsa.applicant_id, legal_entity=True, at=clock.now)
    first = rsa.submit(body, key="retry-key-0001")
    second = rsa.submit(body, key="retry-key-0001")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    with rsa.client.app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 1
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 1
    other = submission(
        rsa.signer,
        applicant_id=rsa.applicant_id,
        legal_entity=True,
        at=clock.now,
        backing=b"another backing document",
    )
    reused = rsa.submit(other, key="retry-key-0001")
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("expired", "certificate_expired"),
        ("revoked", "certificate_revoked"),
        ("employee_without_right", "no_right_to_sign"),
        ("other_entity", "bin_mismatch"),
        ("forged", "message_digest_mismatch"),
        ("untrusted", "chain_untrusted"),
    ],
)
def test_bad_signatures_are_refused_and_change_nothing(rsa, pki, other_pki, clock, case, code) -> None:
    at = clock.now
    body = submission(rsa.signer, applicant_id=rsa.applicant_id, legal_entity=True, at=at)
    if case == "expired":
        body = submission(pki.signing("expired"), applicant_id=rsa.applicant_id, legal_entity=True, at=at)
    elif case == "revoked":
        body = submission(pki.signing("revoked"), applicant_id=rsa.applicant_id, legal_entity=True, at=at)
    elif case == "employee_without_right":
        body = submission(
            pki.signing("legal_employee"), applicant_id=rsa.applicant_id, legal_entity=True, at=at
        )
    elif case == "other_entity":
        # A first head of a *different* organisation (the regulator's head) signs this applicant's form.
        body = submission(
            pki.signing("regulator_head"), applicant_id=rsa.applicant_id, legal_entity=True, at=at
        )
    elif case == "forged":
        body["form"]["purpose"] = "Something the applicant never signed"
    elif case == "untrusted":
        impostor = other_pki.signing("legal_first_head")
        form = form_for(rsa.applicant_id, legal_entity=True)
        body = submission(impostor, applicant_id=rsa.applicant_id, legal_entity=True, at=at, form=form)
    response = rsa.submit(body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == code
    with rsa.client.app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0


def test_an_entrepreneur_must_sign_with_its_own_iin(make_client, pki, clock) -> None:
    client, settings = make_client(pki=pki)
    flow = Flow(client, settings, pki, clock, legal_entity=False)
    # Another individual (valid certificate, trusted chain) signs the entrepreneur's form.
    stranger = pki.signing("legal_right_to_sign")
    body = submission(stranger, applicant_id=flow.applicant_id, legal_entity=False, at=clock.now)
    response = flow.submit(body)
    assert (response.status_code, response.json()["code"]) == (422, "iin_mismatch")
    assert flow.submit().status_code == 201


def test_an_applicant_cannot_file_for_someone_else(rsa, clock) -> None:
    body = submission(rsa.signer, applicant_id="990140004654", legal_entity=True, at=clock.now)
    response = rsa.submit(body)
    assert (response.status_code, response.json()["code"]) == (403, "applicant_mismatch")


def test_attachments_must_match_the_signed_list(rsa, clock) -> None:
    body = submission(rsa.signer, applicant_id=rsa.applicant_id, legal_entity=True, at=clock.now)
    body["attachments"][0]["content_base64"] = base64.b64encode(b"swapped file").decode()
    response = rsa.submit(body)
    assert (response.status_code, response.json()["code"]) == (422, "attachment_list_mismatch")


def test_an_oversized_attachment_is_413(make_client, pki, clock) -> None:
    client, settings = make_client(pki=pki, max_attachment_bytes=16)
    flow = Flow(client, settings, pki, clock)
    response = flow.submit()
    assert (response.status_code, response.json()["code"]) == (413, "attachment_too_large")


def test_a_date_outside_the_active_profile_is_flagged_not_refused(make_client, pki, clock) -> None:
    client, settings = make_client(pki=pki, profile_key="kz-130-nk@1")
    flow = Flow(client, settings, pki, clock)
    app = flow.submit().json()
    assert app["profile_key"] == "kz-130-nk@1"
    assert app["profile_out_of_range"] is True


def test_staff_and_applicants_see_only_what_they_may(rsa, clock) -> None:
    rsa.submit()
    other = Principal(iin="921029350851", bin="990140004654", role=Role.APPLICANT)
    response = rsa.client.get(
        f"/v1/applications/{rsa.number}", headers=bearer(rsa.settings, other, clock.now)
    )
    assert response.status_code == 404
    assert rsa.client.get("/v1/applications", headers=bearer(rsa.settings, other, clock.now)).json() == []
    audit = rsa.client.get(
        f"/v1/regulator/requests/{rsa.number}/audit", headers=rsa.headers("auditor")
    ).json()
    assert [a["action"] for a in audit] == ["submit"]
    assert rsa.step("auditor", "register", expect=403)["code"] == "role_not_allowed"
    assert rsa.step("head", "register", expect=403)["code"] == "role_not_allowed"
    assert rsa.step("officer", "sign", expect=403)["code"] == "role_not_allowed"


def test_only_the_holder_of_the_head_key_signs(rsa, clock) -> None:
    _to_examination(rsa, clock)
    rsa.step("officer", "approve")
    deputy = Principal(iin="921029350851", bin=rsa.pki.regulator_bin, role=Role.HEAD)
    response = rsa.client.post(
        f"/v1/regulator/requests/{rsa.number}/sign", headers=bearer(rsa.settings, deputy, clock.now)
    )
    assert (response.status_code, response.json()["code"]) == (403, "head_key_mismatch")
    assert rsa.view()["status"] == "permit_pending_signature"


def test_complaint_after_a_refusal(rsa, clock) -> None:
    rsa.submit()
    rsa.step("officer", "register")
    rsa.step("officer", "completeness", {"complete": False, "missing_documents": ["backing document"]})
    filed = rsa.client.post(
        "/v1/complaints",
        headers=rsa.headers("applicant"),
        json={"application_number": rsa.number, "addressee": "provider", "text": "The extract was attached."},
    )
    assert filed.status_code == 201, filed.json()
    complaint = filed.json()
    assert complaint["status"] == "filed" and complaint["review_due"] and complaint["forward_due"]
    decided = rsa.client.post(
        f"/v1/regulator/complaints/{complaint['id']}/decision",
        headers=rsa.headers("officer"),
        json={"decision": "forwarded", "outcome": "sent with the case file"},
    )
    assert decided.json()["status"] == "forwarded"
    mine = rsa.client.get("/v1/complaints", headers=rsa.headers("applicant")).json()
    assert [(c["id"], c["status"], c["application_number"]) for c in mine] == [
        (complaint["id"], "forwarded", rsa.number)
    ]
    audit = rsa.client.get(
        f"/v1/regulator/requests/{rsa.number}/audit", headers=rsa.headers("auditor")
    ).json()
    assert [a["action"] for a in audit][-2:] == ["complaint_filed", "complaint_forwarded"]


def test_a_signature_that_is_not_base64_is_422(rsa, clock) -> None:
    body = submission(rsa.signer, applicant_id=rsa.applicant_id, legal_entity=True, at=clock.now)
    body["signature_base64"] = "not base64!"
    response = rsa.submit(body)
    assert (response.status_code, response.json()["code"]) == (422, "base64_invalid")
