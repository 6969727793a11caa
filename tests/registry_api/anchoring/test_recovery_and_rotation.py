"""Expiry, registrar rotation, unconfirmed status acts settled from the chain, keystore and settings."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from contracts.statuses import PermitStatus
from registry_api.chain.connection import connect
from registry_api.chain.exceptions import KeystoreError
from registry_api.chain.keystore import write_keystore
from registry_api.chain.registrars import rotate_registrar
from registry_api.exceptions import ConfigurationError
from registry_api.models.chain_tables import Anchor, PermitAct
from registry_api.models.tables import OutboxEvent
from registry_api.services import permit_status
from tests.registry_api.anchoring.conftest import PASSWORD, Request, act, anchor_all
from tests.registry_api.conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture
def database_url(tmp_path):
    """SQLite only here: these paths do not depend on the database; PostgreSQL runs the worker,
    status-act and five-validator flows."""
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


def test_expiry_is_derived_from_the_profile_validity(make_client, pki, clock, deployment) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    assert anchor_all(client, settings, clock.now).anchored == 1
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
    expired = act(request, "head", number, "suspend", {"reason_code": 1, "reason": "late"})
    assert expired.status_code == 409 and expired.json()["code"] == "permit_expired"


def test_registrar_rotation_keeps_old_permits_valid(make_client, pki, clock, deployment, tmp_path) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    first = Request(client, settings, pki, clock)
    first.to_signature()
    old_number = first.sign()
    assert anchor_all(client, settings, clock.now).anchored == 1

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
    refused = anchor_all(client, settings, clock.now)  # the retired key cannot write any more
    assert (refused.anchored, refused.failed) == (0, 1)
    with client.app.state.sessions() as session:
        row = session.scalars(select(Anchor).where(Anchor.permit_number == new_number)).one()
        assert row.state == "intent" and "not a registrar" in (row.last_error or "")
        retry_at = row.next_attempt_at

    keystore = tmp_path / "registrar-2.json"
    write_keystore(keystore, new_registrar.key, PASSWORD, iterations=1024)
    rotated = connect(settings.model_copy(update={"registrar_keystore_file": keystore}))
    assert anchor_all(client, settings, retry_at, chain=rotated).anchored == 1

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


def test_unconfirmed_acts_are_settled_from_the_chain(make_client, pki, clock, deployment) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    assert anchor_all(client, settings, clock.now).anchored == 1
    chain, sessions = client.app.state.chain, client.app.state.sessions
    head = pki.signing("regulator_head").iin
    with sessions() as session:
        anchor = session.scalars(select(Anchor)).one()
        landed = PermitAct(
            anchor_id=anchor.id,
            act="suspend",
            reason_code=5,
            reason="inspection",
            actor=head,
            requested_at=clock.now,
            state="intent",
        )
        session.add(landed)
        session.commit()

        def record(signed) -> None:
            landed.state, landed.tx_hash = "sent", signed.tx_hash
            session.commit()

        data = chain.contracts.act_call("suspend", bytes.fromhex(anchor.permit_hash), 5)
        sent = chain.sender.send(chain.contracts.addresses.permit_registry, data, "suspend", record)  # crash
        chain.sender.wait_final(sent.tx_hash)  # it lands while the service is down
        # A second act whose transaction was recorded but never broadcast.
        session.add(
            PermitAct(
                anchor_id=anchor.id,
                act="revoke",
                reason_code=3,
                reason="court decision",
                actor=head,
                requested_at=clock.now,
                state="sent",
                tx_hash="0x" + "cd" * 32,
            )
        )
        session.commit()

    busy = act(request, "head", number, "reinstate", {"reason": "x"})
    assert busy.status_code == 409 and busy.json()["code"] == "permit_act_in_progress"
    with sessions() as session:
        assert permit_status.reconcile_acts(session, chain=chain, now=clock.now) == 2
        assert permit_status.reconcile_acts(session, chain=chain, now=clock.now) == 0

    view = client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()
    assert view["status"] == "suspended"
    assert [(a["act"], a["state"]) for a in view["acts"]] == [("suspend", "done"), ("revoke", "failed")]
    at = int(time.time()) + 5
    record_on_chain = deployment.reader().permit_status(bytes.fromhex(view["permit_sha256"]), at)
    assert record_on_chain.status is PermitStatus.SUSPENDED
    with sessions() as session:
        events = session.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.seq)).all()
    assert events.count("permit_suspended") == 1 and "permit_revoked" not in events


def test_a_worker_settling_the_act_while_the_request_waits_is_mirrored_once(
    make_client, pki, clock, deployment, monkeypatch
) -> None:
    # The worker's reconcile pass may settle a "sent" act from the chain while the request that sent it
    # is still waiting for finality; the request must then answer success, not a 500, and the act must be
    # recorded once (one audit row, one event).
    client, settings = make_client(pki=pki, **deployment.chain_settings())
    request = Request(client, settings, pki, clock)
    request.to_signature()
    number = request.sign()
    assert anchor_all(client, settings, clock.now).anchored == 1
    chain, sessions = client.app.state.chain, client.app.state.sessions
    wait_final = chain.sender.wait_final

    def worker_runs_meanwhile(tx_hash):
        final = wait_final(tx_hash)
        monkeypatch.setattr(chain.sender, "wait_final", wait_final)  # the worker waits the normal way
        with sessions() as worker_session:
            assert permit_status.reconcile_acts(worker_session, chain=chain, now=clock.now) == 1
        return final

    monkeypatch.setattr(chain.sender, "wait_final", worker_runs_meanwhile)
    response = act(request, "head", number, "suspend", {"reason_code": 5, "reason": "inspection"})
    assert response.status_code == 200, response.text
    view = client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()
    assert view["status"] == "suspended"
    assert [(a["act"], a["state"]) for a in view["acts"]] == [("suspend", "done")]
    with sessions() as session:
        events = session.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.seq)).all()
    assert events.count("permit_suspended") == 1
