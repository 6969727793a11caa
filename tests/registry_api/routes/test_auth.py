"""EDS authentication: challenge, CMS over the nonce with an AUTHENTICATION certificate, a short token,
and role mapping from the staff allow-list (IIN under the regulator's BIN)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import func, select

from registry_api.models.tables import AuthChallenge
from tests.registry_api.submissions import submission


@pytest.fixture
def api(make_client, pki):
    client, settings = make_client(pki=pki)
    return client, settings


def _login(client, identity, at, *, nonce=None):
    nonce = nonce or client.post("/v1/auth/challenge").json()["nonce"]
    cms = identity.sign(nonce.encode(), at)
    return client.post(
        "/v1/auth/token", json={"nonce": nonce, "signature_base64": base64.b64encode(cms).decode()}
    )


@pytest.mark.parametrize("role", ["officer", "head", "auditor"])
def test_staff_log_in_with_their_authentication_certificate(api, pki, clock, role) -> None:
    client, _ = api
    response = _login(client, pki.staff(role), clock.now)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["role"] == role
    listing = client.get(
        "/v1/regulator/requests", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert listing.status_code == 200


def test_an_applicant_logs_in_and_acts_for_its_organisation(api, pki, clock) -> None:
    client, _ = api
    ident = pki.auth("APPLICANT-HEAD", bin_=pki.entity_bin, org="DAP")
    body = _login(client, ident, clock.now).json()
    assert body["role"] == "applicant"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/v1/applications", headers=headers).status_code == 200
    assert client.get("/v1/regulator/requests", headers=headers).status_code == 403


def test_a_signing_certificate_cannot_log_in(api, pki, clock) -> None:
    client, _ = api
    response = _login(client, pki.signing("individual_entrepreneur"), clock.now)
    assert (response.status_code, response.json()["code"]) == (401, "certificate_purpose_invalid")


def test_a_regulator_employee_outside_the_allow_list_is_refused(api, pki, clock) -> None:
    client, _ = api
    stranger = pki.auth("CLERK", bin_=pki.regulator_bin, org="MDDIAI")
    response = _login(client, stranger, clock.now)
    assert (response.status_code, response.json()["code"]) == (401, "staff_not_allowed")


def test_a_nonce_works_once_and_expires(api, pki, clock, other_pki) -> None:
    client, settings = api
    officer = pki.staff("officer")
    nonce = client.post("/v1/auth/challenge").json()["nonce"]
    assert _login(client, officer, clock.now, nonce=nonce).status_code == 200
    reused = _login(client, officer, clock.now, nonce=nonce)
    assert (reused.status_code, reused.json()["code"]) == (401, "challenge_invalid")
    stale = client.post("/v1/auth/challenge").json()["nonce"]
    clock.now += dt.timedelta(seconds=settings.challenge_ttl_seconds)
    assert _login(client, officer, clock.now, nonce=stale).json()["code"] == "challenge_invalid"
    # A certificate from an untrusted PKI never gets a token.
    untrusted = _login(client, other_pki.staff("officer"), clock.now)
    assert (untrusted.status_code, untrusted.json()["code"]) == (401, "chain_untrusted")


def test_a_signature_over_another_nonce_is_refused(api, pki, clock) -> None:
    client, _ = api
    nonce = client.post("/v1/auth/challenge").json()["nonce"]
    cms = pki.staff("officer").sign(b"some other nonce", clock.now)
    response = client.post(
        "/v1/auth/token", json={"nonce": nonce, "signature_base64": base64.b64encode(cms).decode()}
    )
    assert (response.status_code, response.json()["code"]) == (401, "message_digest_mismatch")


def test_expired_challenges_are_swept(api, clock) -> None:
    client, settings = api
    client.post("/v1/auth/challenge")
    clock.now += dt.timedelta(seconds=settings.challenge_ttl_seconds + 1)
    client.post("/v1/auth/challenge")
    with client.app.state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuthChallenge)) == 1


def test_open_challenges_are_bounded(make_client, pki, clock) -> None:
    client, settings = make_client(pki=pki, max_live_challenges=2)
    assert [client.post("/v1/auth/challenge").status_code for _ in range(2)] == [200, 200]
    third = client.post("/v1/auth/challenge")
    assert (third.status_code, third.json()["code"]) == (429, "too_many_challenges")
    clock.now += dt.timedelta(seconds=settings.challenge_ttl_seconds + 1)  # the old ones expire
    assert client.post("/v1/auth/challenge").status_code == 200


def test_an_entrepreneur_logs_in_submits_and_sees_its_request(api, pki, clock) -> None:
    client, _ = api
    login = _login(client, pki.signing("authentication"), clock.now).json()  # the IE's auth certificate
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    ie = pki.signing("individual_entrepreneur")
    body = submission(ie, applicant_id=ie.iin, legal_entity=False, at=clock.now)
    created = client.post("/v1/applications", json=body, headers=headers)
    assert created.status_code == 201, created.json()
    cabinet = client.get("/v1/applications", headers=headers).json()
    assert [(a["number"], a["applicant_id"]) for a in cabinet] == [(created.json()["number"], ie.iin)]
