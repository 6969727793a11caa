"""Suspension, reinstatement and revocation on chain (the head's acts), expiry, and registrar rotation."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from contracts.statuses import IssuerStatus, PermitStatus
from registry_api.models.chain_tables import Anchor
from registry_api.models.tables import AuditEntry, OutboxEvent
from registry_api.services import anchoring
from tests.registry_api.anchoring.conftest import Request, act, anchor_all

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_suspend_reinstate_revoke_are_on_chain_and_in_the_register(
    make_client, pki, clock, deployment
) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    reason = {"reason_code": 7, "reason": "platform nodes found offline at inspection"}

    early = act(request, "head", number, "suspend", reason)
    assert early.status_code == 404  # no intent yet: the worker has not seen it
    with client.app.state.sessions() as session:
        anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
    pending = act(request, "head", number, "suspend", reason)
    assert pending.status_code == 409 and pending.json()["code"] == "permit_not_anchored"
    assert anchor_all(client, settings, clock.now).anchored == 1

    assert act(request, "officer", number, "suspend", reason).status_code == 403
    assert act(request, "auditor", number, "revoke", reason).status_code == 403
    no_code = act(request, "head", number, "suspend", {"reason": "no code"})
    assert no_code.status_code == 422 and no_code.json()["code"] == "reason_code_required"

    reader = deployment.reader()
    with client.app.state.sessions() as session:
        permit_hash = bytes.fromhex(session.scalars(select(Anchor.permit_hash)).one())

    def on_chain():
        at = int(time.time()) + 5  # acts count from their own block time
        return reader.permit_status(permit_hash, at), reader.issuer_status(pki.entity_bin, at)

    suspended = act(request, "head", number, "suspend", reason)
    assert suspended.status_code == 200, suspended.json()
    assert suspended.json()["status"] == "suspended"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.SUSPENDED and permit.reason == 7
    assert issuer.status is IssuerStatus.SUSPENDED

    again = act(request, "head", number, "suspend", reason)
    assert again.status_code == 409 and again.json()["code"] == "permit_status_conflict"

    reinstated = act(request, "head", number, "reinstate", {"reason": "nodes back online"})
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "valid"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.VALID and issuer.status is IssuerStatus.ACTIVE

    revoked = act(request, "head", number, "revoke", {"reason_code": 3, "reason": "court decision in force"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.REVOKED and issuer.status is IssuerStatus.REVOKED
    assert act(request, "head", number, "reinstate", {"reason": "x"}).status_code == 409

    view = client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()
    assert [(a["act"], a["state"]) for a in view["acts"]] == [
        ("suspend", "done"),
        ("reinstate", "done"),
        ("revoke", "done"),
    ]
    assert all(a["tx_hash"] and a["block_number"] for a in view["acts"])
    with client.app.state.sessions() as session:
        events = session.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.seq)).all()
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert events[-3:] == ["permit_suspended", "permit_reinstated", "permit_revoked"]
    assert actions[-3:] == ["permit_suspend", "permit_reinstate", "permit_revoke"]
