"""Suspension, reinstatement and revocation on chain (the head's acts), expiry, and registrar rotation."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from contracts.statuses import IssuerStatus, PermitStatus
from registry_api.chain.connection import connect
from registry_api.chain.exceptions import KeystoreError
from registry_api.chain.keystore import write_keystore
from registry_api.chain.registrars import rotate_registrar
from registry_api.exceptions import ConfigurationError
from registry_api.models.chain_tables import Anchor
from registry_api.models.tables import AuditEntry, OutboxEvent
from registry_api.services import anchoring
from tests.registry_api.anchoring.conftest import PASSWORD, Request
from tests.registry_api.conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _anchor_all(client, settings, now, chain=None):
    return anchoring.anchor_due(
        client.app.state.sessions,
        chain=chain or client.app.state.chain,
        profile=settings.profile,
        now=now,
        base_seconds=1.0,
        cap_seconds=1.0,
    )


def _act(request, who: str, number: str, action: str, body=None):
    return request.client.post(
        f"/v1/regulator/permits/{number}/{action}", json=body or {}, headers=request.headers(who)
    )


def test_suspend_reinstate_revoke_are_on_chain_and_in_the_register(
    make_client, pki, clock, deployment
) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    reason = {"reason_code": 7, "reason": "platform nodes found offline at inspection"}

    early = _act(request, "head", number, "suspend", reason)
    assert early.status_code == 404  # no intent yet: the worker has not seen it
    with client.app.state.sessions() as session:
        anchoring.enqueue_issued(session, profile=settings.profile, now=clock.now)
    pending = _act(request, "head", number, "suspend", reason)
    assert pending.status_code == 409 and pending.json()["code"] == "permit_not_anchored"
    assert _anchor_all(client, settings, clock.now).anchored == 1

    assert _act(request, "officer", number, "suspend", reason).status_code == 403
    assert _act(request, "auditor", number, "revoke", reason).status_code == 403
    no_code = _act(request, "head", number, "suspend", {"reason": "no code"})
    assert no_code.status_code == 422 and no_code.json()["code"] == "reason_code_required"

    reader = deployment.reader()
    with client.app.state.sessions() as session:
        permit_hash = bytes.fromhex(session.scalars(select(Anchor.permit_hash)).one())

    def on_chain():
        at = int(time.time()) + 5  # acts count from their own block time
        return reader.permit_status(permit_hash, at), reader.issuer_status(pki.entity_bin, at)

    suspended = _act(request, "head", number, "suspend", reason)
    assert suspended.status_code == 200, suspended.json()
    assert suspended.json()["status"] == "suspended"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.SUSPENDED and permit.reason == 7
    assert issuer.status is IssuerStatus.SUSPENDED

    again = _act(request, "head", number, "suspend", reason)
    assert again.status_code == 409 and again.json()["code"] == "permit_status_conflict"

    reinstated = _act(request, "head", number, "reinstate", {"reason": "nodes back online"})
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "valid"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.VALID and issuer.status is IssuerStatus.ACTIVE

    revoked = _act(request, "head", number, "revoke", {"reason_code": 3, "reason": "court decision in force"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    permit, issuer = on_chain()
    assert permit.status is PermitStatus.REVOKED and issuer.status is IssuerStatus.REVOKED
    assert _act(request, "head", number, "reinstate", {"reason": "x"}).status_code == 409

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


def test_expiry_is_derived_from_the_profile_validity(make_client, pki, clock, deployment) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    assert _anchor_all(client, settings, clock.now).anchored == 1
    view = client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()
    last = dt.date.fromisoformat(view["last_valid_day"])
    assert last == settings.profile.permit_valid_until(dt.date.fromisoformat(view["issued_on"]))
    assert view["status"] == "valid"
    clock.set(last.year, last.month, last.day, 23, 59)
    assert (
        client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()["status"]
        == "valid"
    )
    next_day = last + dt.timedelta(days=1)
    clock.set(next_day.year, next_day.month, next_day.day, 0, 1)
    assert (
        client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()["status"]
        == "expired"
    )
    expired = _act(request, "head", number, "suspend", {"reason_code": 1, "reason": "late"})
    assert expired.status_code == 409 and expired.json()["code"] == "permit_expired"


def test_registrar_rotation_keeps_old_permits_valid(make_client, pki, clock, deployment, tmp_path) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    first = Request(client, settings, pki, clock)
    first.to_signature()
    old_number = first.sign()
    assert _anchor_all(client, settings, clock.now).anchored == 1

    new_registrar = deployment.devnet.accounts[2]
    rotate_registrar(
        deployment.devnet.w3,
        admin=deployment.admin,
        addresses=deployment.addresses,
        new=new_registrar.address,
        old=deployment.registrar.address,
    )
    second = Request(client, settings, pki, clock)
    second.to_signature()
    new_number = second.sign()
    refused = _anchor_all(client, settings, clock.now)  # the retired key cannot write any more
    assert (refused.anchored, refused.failed) == (0, 1)
    with client.app.state.sessions() as session:
        row = session.scalars(select(Anchor).where(Anchor.permit_number == new_number)).one()
        assert row.state == "intent" and "not a registrar" in (row.last_error or "")
        retry_at = row.next_attempt_at

    keystore = tmp_path / "registrar-2.json"
    write_keystore(keystore, new_registrar.key, PASSWORD, iterations=1024)
    rotated = connect(settings.model_copy(update={"registrar_keystore_file": keystore}))
    assert _anchor_all(client, settings, retry_at, chain=rotated).anchored == 1

    reader = deployment.reader()
    at = int(time.time())
    with client.app.state.sessions() as session:
        rows = {a.permit_number: a for a in session.scalars(select(Anchor))}
    assert rows[new_number].registrar == new_registrar.address
    assert rows[old_number].registrar == deployment.registrar.address
    for number in (old_number, new_number):
        assert reader.permit_status(bytes.fromhex(rows[number].permit_hash), at).status is PermitStatus.VALID


def test_a_wrong_keystore_password_stops_the_start_without_showing_it(deployment, tmp_path) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not the password")
    settings = make_settings(
        f"sqlite:///{tmp_path / 'r.sqlite3'}",
        **{**deployment.chain_settings(), "registrar_password_file": wrong},
    )
    with pytest.raises(KeystoreError) as error:
        connect(settings)
    assert "not the password" not in error.value.message
    assert deployment.registrar.key.hex() not in error.value.message


def test_chain_settings_come_all_together(deployment, tmp_path) -> None:
    with pytest.raises(ConfigurationError) as error:
        make_settings(f"sqlite:///{tmp_path / 'r.sqlite3'}", chain_rpc_urls=deployment.devnet.rpc)
    assert "REGISTRY_CHAIN_ADDRESSES_FILE" in error.value.message
