"""Every endpoint checks its role: tested for each role, plus missing, forged and expired tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from registry_api.services.workflow import Role
from tests.registry_api.conftest import APPLICANT, STAFF, bearer, make_settings

PRINCIPALS = {Role.APPLICANT: APPLICANT, **STAFF}

STEP_BODIES = {
    "register": {},
    "completeness": {"complete": True},
    "approve": {},
    "preliminary-refusal": {
        "grounds": ["non_compliance"],
        "reason": "r",
        "hearing_at": "2025-02-13T10:00:00+05:00",
    },
    "hearing": {"outcome": "grant", "reason": "r"},
}
# (method, path, body, roles admitted)
ENDPOINTS = [
    ("GET", "/v1/regulator/requests", None, {Role.OFFICER, Role.HEAD, Role.AUDITOR}),
    ("GET", "/v1/regulator/requests?status=late", None, {Role.OFFICER, Role.HEAD, Role.AUDITOR}),
    ("GET", "/v1/regulator/requests/SDA-2025-000001", None, {Role.OFFICER, Role.HEAD, Role.AUDITOR}),
    ("GET", "/v1/regulator/requests/SDA-2025-000001/audit", None, {Role.OFFICER, Role.HEAD, Role.AUDITOR}),
    *[
        ("POST", f"/v1/regulator/requests/SDA-2025-000001/{step}", body, {Role.OFFICER})
        for step, body in STEP_BODIES.items()
    ],
    ("POST", "/v1/regulator/requests/SDA-2025-000001/sign", {}, {Role.HEAD}),
    (
        "POST",
        "/v1/regulator/complaints/1/decision",
        {"decision": "forwarded", "outcome": "x"},
        {Role.OFFICER},
    ),
    ("GET", "/v1/applications", None, {Role.APPLICANT}),
    (
        "POST",
        "/v1/complaints",
        {"application_number": "SDA-2025-000001", "addressee": "provider", "text": "t"},
        {Role.APPLICANT},
    ),
]


@pytest.fixture
def api(make_client):
    client, settings = make_client(verifier=None)
    return client, settings


def _call(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


def test_each_role_outside_the_allow_list_is_refused(api, clock) -> None:
    client, settings = api
    for method, path, body, admitted in ENDPOINTS:
        for role, principal in PRINCIPALS.items():
            response = _call(client, method, path, body, bearer(settings, principal, clock.now))
            if role in admitted:
                # Admitted: whatever the outcome (404 on the empty registry, 200 for lists), never 401/403.
                assert response.status_code not in (401, 403), (path, role, response.json())
            else:
                assert response.status_code == 403, (path, role, response.status_code)
                assert response.json()["code"] == "role_not_allowed"


def test_no_token_is_401(api) -> None:
    client, _ = api
    for method, path, body, _admitted in ENDPOINTS:
        response = _call(client, method, path, body, {})
        assert response.status_code == 401, path
        assert response.json()["code"] == "token_missing"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_forged_and_expired_tokens_are_refused(api, clock) -> None:
    client, settings = api
    headers = bearer(settings, STAFF[Role.OFFICER], clock.now)
    body, mac = headers["Authorization"].removeprefix("Bearer ").split(".")
    forged = {"Authorization": f"Bearer {body}.{'A' * len(mac)}"}
    assert client.get("/v1/regulator/requests", headers=forged).json()["code"] == "token_invalid"
    clock.now += dt.timedelta(seconds=settings.token_ttl_seconds)
    response = client.get("/v1/regulator/requests", headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


def test_a_token_signed_with_another_secret_is_refused(api, clock) -> None:
    client, _ = api
    other = make_settings("sqlite://")
    response = client.get("/v1/regulator/requests", headers=bearer(other, STAFF[Role.AUDITOR], clock.now))
    assert response.json()["code"] == "token_invalid"


def test_an_applicant_never_sees_another_applicants_request(api, clock) -> None:
    client, settings = api
    response = client.get("/v1/applications/SDA-2025-000001", headers=bearer(settings, APPLICANT, clock.now))
    assert response.status_code == 404
