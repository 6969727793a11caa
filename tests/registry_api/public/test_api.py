"""The public JSON API over a real devnet node: issuers, the register, permits, history, verification."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from registry_api.models.chain_tables import Anchor, PermitAct
from registry_api.models.tables import Application, Document
from registry_api.public import PublicSettings, build_context
from tests.registry_api.conftest import make_settings
from tests.registry_api.verification.devnet_env import ASTANA

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_issuer_status_now_and_at_a_time(client, chain_env, rule_profile):
    permit = chain_env.make_permit(platform="Alpha")
    body = client.get(f"/v1/public/issuers/{permit.issuer_id}").json()
    assert body["status"] == "active"
    assert body["platform_name"] == "Alpha"
    assert body["permit_hash"] == permit.sha256.hex()
    last = rule_profile.permit_valid_until(permit.issued_on)
    assert body["valid_through"] == last.isoformat()
    later = (last + dt.timedelta(days=1)).isoformat()
    assert (
        client.get(f"/v1/public/issuers/{permit.issuer_id}", params={"at": later}).json()["status"]
        == "expired"
    )
    chain_env.writer.suspend(permit.sha256, 2)
    assert client.get(f"/v1/public/issuers/{permit.issuer_id}").json()["status"] == "suspended"


def test_issuer_errors_are_problems(client):
    missing = client.get("/v1/public/issuers/000000000000")
    assert missing.status_code == 404 and missing.json()["code"] == "issuer_not_found"
    bad = client.get("/v1/public/issuers/12345")
    assert bad.status_code == 422 and bad.json()["code"] == "issuer_id_invalid"
    bad_at = client.get("/v1/public/issuers/000000000000", params={"at": "yesterday"})
    assert bad_at.status_code == 422 and bad_at.json()["code"] == "verification_input_invalid"


def test_the_register_pages_and_filters(client, chain_env):
    token = uuid.uuid4().hex[:8]
    permits = [chain_env.make_permit(platform=f"Zeta {token} {i}") for i in range(3)]
    chain_env.writer.suspend(permits[1].sha256, 4)
    everyone = client.get("/v1/public/issuers", params={"platform": token.upper(), "page_size": 2}).json()
    assert everyone["total"] == 3 and len(everyone["items"]) == 2 and everyone["page"] == 1
    second = client.get("/v1/public/issuers", params={"platform": token, "page_size": 2, "page": 2}).json()
    assert [i["issuer_id"] for i in everyone["items"] + second["items"]] == [p.issuer_id for p in permits]
    suspended = client.get("/v1/public/issuers", params={"platform": token, "status": "suspended"}).json()
    assert [i["issuer_id"] for i in suspended["items"]] == [permits[1].issuer_id]
    active = client.get("/v1/public/issuers", params={"platform": token, "status": "active"}).json()
    assert active["total"] == 2
    wrong = client.get("/v1/public/issuers", params={"status": "sleeping"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "status_invalid"


def test_issuer_history_anchor_suspend_reinstate_revoke(client, chain_env):
    permit = chain_env.make_permit()
    writes = [
        permit.anchor,
        chain_env.writer.suspend(permit.sha256, 5),
        chain_env.writer.reinstate(permit.sha256),
        chain_env.writer.revoke(permit.sha256, 9),
    ]
    history = client.get(f"/v1/public/issuers/{permit.issuer_id}/history").json()["revisions"]
    assert [(r["change"], r["status"]) for r in history] == [
        ("registered", "active"),
        ("status_changed", "suspended"),
        ("status_changed", "active"),
        ("status_changed", "revoked"),
    ]
    assert [r["block_number"] for r in history] == [w.block_number for w in writes]
    assert [r["tx_hash"] for r in history] == ["0x" + w.tx_hash.hex() for w in writes]
    assert history[1]["reason"] == 5 and history[3]["reason"] == 9
    assert all(r["cause"] == "permit" for r in history[1:])
    for revision, write in zip(history, writes, strict=True):
        assert revision["at"] == chain_env.block_time(write).isoformat()


def test_permit_status_by_number(client, chain_env):
    permit = chain_env.make_permit()
    body = client.get(f"/v1/public/permits/{permit.number}").json()
    assert body["status"] == "valid" and body["issuer_id"] == permit.issuer_id
    assert body["valid_from"] == permit.issued_on.isoformat()
    chain_env.writer.revoke(permit.sha256, 1)
    assert client.get(f"/v1/public/permits/{permit.number}").json()["status"] == "revoked"
    assert client.get("/v1/public/permits/P-NOPE").status_code == 404


def _verify(client, files=None, data=None):
    return client.post("/v1/public/verify", files=files or {}, data=data or {})


def test_verify_an_upload(client, chain_env):
    permit = chain_env.make_permit()
    files = {
        "document": ("permit.json", permit.document, "application/json"),
        "signature": ("permit.json.p7s", permit.signature, "application/pkcs7-signature"),
    }
    body = _verify(client, files).json()
    assert body["verdict"] == "valid", body
    assert [c["code"] for c in body["checks"]] == [
        "integrity",
        "signature",
        "anchor",
        "status",
        "validity",
        "issuer",
    ]
    tampered = permit.document.replace(b'"permit"', b'"permiT"')
    files["document"] = ("permit.json", tampered, "application/json")
    body = _verify(client, files).json()
    assert body["verdict"] == "invalid"
    assert body["checks"][0]["outcome"] == "fail" and body["checks"][0]["reason_code"] == "hash_mismatch"
    by_hash = _verify(client, data={"hash": permit.sha256.hex()}).json()
    assert by_hash["verdict"] == "unconfirmed" and by_hash["permit_number"] == permit.number


def test_verify_refuses_bad_input(client):
    assert _verify(client).json()["code"] == "verification_input_invalid"
    assert _verify(client, data={"hash": "abc"}).status_code == 422
    big = {"document": ("big.json", b"{" + b" " * (64 * 1024) + b"}", "application/json")}
    too_large = _verify(client, big)
    assert too_large.status_code == 413 and too_large.json()["code"] == "upload_too_large"


def _store(app, permit, *, sha256_hex: str, status: str | None = None, acts=()) -> None:
    """The service's records of an issued permit; with ``status``, also its anchor and status acts."""
    now = dt.datetime.now(dt.UTC)
    with app.state.sessions() as session, session.begin():
        application = Application(
            number=f"A-{uuid.uuid4().hex[:10]}",
            applicant_id=permit.issuer_id,
            applicant_name="ТОО",
            status="permit_issued",
            profile_key="kz-130-nk@2",
            profile_out_of_range=False,
            submitted_at=now,
            registration_day=now.date(),
            registered_at=now,
            registration_due=now,
            completeness_due=now,
            service_term_due=now,
            hearing_notice_due=now,
            examination_due=None,
            hearing_due=None,
            current_due=None,
            form_json="{}",
            form_sha256="0" * 64,
            signature=b"",
            signer_iin=None,
            signer_bin=None,
            signer_algorithm="RSA-SHA256",
            idempotency_key=None,
            request_sha256="0" * 64,
            refusal_grounds=None,
            missing_documents=None,
            hearing_at=None,
            decision_reason=None,
            version=1,
        )
        session.add(application)
        session.flush()
        session.add(
            Document(
                application_id=application.id,
                kind="permit",
                number=permit.number,
                canonical_json=permit.document.decode(),
                sha256=sha256_hex,
                pdf=b"%PDF",
                pdf_sha256="0" * 64,
                signature=permit.signature,
                signed_at=now,
                signer_iin="000000000000",
                valid_until=None,
            )
        )
        if status is None:
            return
        session.flush()
        document = session.scalars(select(Document).where(Document.number == permit.number)).one()
        anchor = Anchor(
            application_id=application.id,
            document_id=document.id,
            permit_hash=permit.sha256.hex(),
            permit_number=permit.number,
            issuer_id=permit.issuer_id,
            display_name="ТОО",
            platform_name="Platform",
            issued_on=permit.issued_on,
            last_valid_day=permit.issued_on,
            state="anchored",
            permit_status=status,
            created_at=now,
            next_attempt_at=now,
            version=1,
        )
        session.add(anchor)
        session.flush()
        for act, code, reason in acts:
            session.add(
                PermitAct(
                    anchor_id=anchor.id,
                    act=act,
                    reason_code=code,
                    reason=reason,
                    actor="000000000000",
                    requested_at=now,
                    state="done",
                )
            )


def test_verify_by_number_uses_the_service_copy_and_reports_disagreement(db_app, db_client, chain_env):
    app, client = db_app, db_client
    permit = chain_env.make_permit()
    _store(app, permit, sha256_hex=permit.sha256.hex())
    body = client.get(f"/v1/public/verify/{permit.number}").json()
    assert body["verdict"] == "valid"
    assert [n["code"] for n in body["notes"]] == ["service_copy_checked"]
    other = chain_env.make_permit()
    _store(app, other, sha256_hex="ab" * 32)
    body = client.get(f"/v1/public/verify/{other.number}").json()
    assert [n["code"] for n in body["notes"]] == ["service_copy_checked", "db_chain_mismatch"]
    assert body["verdict"] == "valid"  # the chain and the document agree; only the service's record is off
    unknown = client.get("/v1/public/verify/P-UNKNOWN").json()
    assert unknown["verdict"] == "invalid"
    at = dt.datetime.combine(permit.issued_on, dt.time(0), tzinfo=ASTANA) - dt.timedelta(days=1)
    early = client.get(f"/v1/public/verify/{permit.number}", params={"at": at.isoformat()}).json()
    assert {c["code"]: c["reason_code"] for c in early["checks"]}["validity"] == "not_yet_valid"


def test_no_node_configured_is_503(app, client):
    app.state.public.view = None
    answer = client.get("/v1/public/issuers/000000000000")
    assert answer.status_code == 503 and answer.json()["code"] == "chain_unavailable"


def test_the_context_is_built_from_settings(chain_env, tmp_path):
    settings = make_settings(
        f"sqlite:///{tmp_path / 'r.sqlite3'}", regulator_bin=chain_env.regulator_bin, staff=[],
        dev_pki_dir=chain_env.pki.directory,
    )  # fmt: skip
    configured = build_context(
        settings,
        PublicSettings(rpc_url=chain_env.rpc_url, contracts_file=chain_env.contracts_file(), burst=3),
    )
    permit = chain_env.make_permit()
    assert configured.chain().permit_by_number(permit.number, 0).permit_hash == permit.sha256
    assert configured.signatures.trust is not None and configured.limiter.burst == 3
    bare = build_context(make_settings(f"sqlite:///{tmp_path / 'b.sqlite3'}"), PublicSettings())
    assert bare.view is None and bare.signatures.trust is None


def test_the_head_s_reason_words_the_chain_s_reason_code_and_status_disagreement_is_noted(
    db_app, db_client, chain_env
):
    app, client = db_app, db_client
    permit = chain_env.make_permit()
    chain_env.writer.revoke(permit.sha256, 7)
    _store(
        app,
        permit,
        sha256_hex=permit.sha256.hex(),
        status="revoked",
        acts=[("suspend", 7, "старая формулировка"), ("revoke", 7, "court decision in force")],
    )
    body = client.get(f"/v1/public/verify/{permit.number}").json()
    status = {c["code"]: c for c in body["checks"]}["status"]
    assert status["reason"].endswith("reason 7 (court decision in force)")
    assert [n["code"] for n in body["notes"]] == ["service_copy_checked"]
    other = chain_env.make_permit()
    _store(app, other, sha256_hex=other.sha256.hex(), status="suspended")
    files = {"document": ("permit.json", other.document, "application/json")}
    uploaded = client.post("/v1/public/verify", files=files).json()
    assert [n["code"] for n in uploaded["notes"]] == ["db_chain_mismatch"]
    assert "records the permit as suspended, the chain as valid" in uploaded["notes"][0]["message"]


def test_history_shows_direct_acts_on_the_issuer_and_a_new_permit(client, chain_env):
    first = chain_env.make_permit()
    chain_env.writer.suspend_issuer(first.issuer_id, 11)
    chain_env.writer.reinstate_issuer(first.issuer_id)
    chain_env.make_permit(issuer_id=first.issuer_id, platform="Renamed")
    history = client.get(f"/v1/public/issuers/{first.issuer_id}/history").json()["revisions"]
    assert [(r["change"], r["status"], r["cause"]) for r in history] == [
        ("registered", "active", None),
        ("status_changed", "suspended", "direct"),
        ("status_changed", "active", "direct"),
        ("new_permit", "active", None),
    ]
    assert history[-1]["platform_name"] == "Renamed"
    assert client.get(f"/v1/public/issuers/{first.issuer_id}").json()["platform_name"] == "Renamed"
    assert client.get("/v1/public/issuers/000000000000/history").status_code == 404


def test_the_public_api_is_described_in_openapi(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/public/issuers",
        "/v1/public/issuers/{issuer_id}",
        "/v1/public/verify",
        "/v1/public/verify/{number}",
    ):
        assert path in spec["paths"]
    verdict = spec["components"]["schemas"]["ReportOut"]["properties"]["verdict"]
    assert set(verdict["enum"]) == {"valid", "invalid", "unconfirmed"}
    assert "/verify" not in spec["paths"]  # the page is not part of the API
