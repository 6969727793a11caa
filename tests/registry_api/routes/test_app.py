"""The HTTP shell: OpenAPI and docs are served, errors are problem responses with codes, size limits hold."""

from __future__ import annotations

from typing import Any

from tests.registry_api.conftest import APPLICANT, bearer
from tests.registry_api.submissions import attachments, form_for


def test_openapi_and_docs_are_served_with_versioned_paths(make_client) -> None:
    client, _ = make_client(verifier=None)
    spec = client.get("/openapi.json").json()
    assert all(path.startswith("/v1/") for path in spec["paths"])
    assert "/v1/applications" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_an_oversized_body_is_413_with_a_code_before_parsing(make_client, clock) -> None:
    client, settings = make_client(verifier=None, max_request_bytes=1024)
    response = client.post(
        "/v1/applications",
        content=b"{" + b" " * 2048 + b"}",
        headers={**bearer(settings, APPLICANT, clock.now), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_a_schema_error_is_422_with_a_machine_readable_code_and_locations(make_client, clock) -> None:
    client, settings = make_client(verifier=None)
    response = client.post(
        "/v1/applications", json={"form": {}}, headers=bearer(settings, APPLICANT, clock.now)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert ["body", "signature_base64"] in [e["loc"] for e in body["errors"]]
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_paths_are_problems_too(make_client) -> None:
    client, _ = make_client(verifier=None)
    response = client.get("/v1/nothing")
    assert (response.status_code, response.json()["code"]) == (404, "http_404")


class _BrokenVerifier:
    """Fault injection: a verifier with a bug (not a stand-in for real verification)."""

    def verify(self, *args, **kwargs):
        raise RuntimeError("secret internal detail")


def test_an_unexpected_failure_is_a_bare_500_without_a_trace(make_client, clock) -> None:
    client, settings = make_client(verifier=_BrokenVerifier())
    body: dict[str, Any] = {
        "form": form_for(APPLICANT.applicant_id, legal_entity=True),
        "signature_base64": "AAAA",
        "attachments": [],
    }
    response = client.post("/v1/applications", json=body, headers=bearer(settings, APPLICANT, clock.now))
    assert response.status_code == 422  # the schema check runs before anything reaches the verifier
    body["attachments"] = attachments()
    response = client.post("/v1/applications", json=body, headers=bearer(settings, APPLICANT, clock.now))
    assert response.status_code == 500
    assert response.json() == {
        "type": "urn:permitchain:problem:internal_error",
        "status": 500,
        "code": "internal_error",
        "message": "an internal error occurred; it has been logged",
    }
    assert "secret" not in response.text and "Traceback" not in response.text


def test_a_deeply_nested_json_body_is_400_before_parsing(make_client, clock) -> None:
    # Without the guard this body overflows the C stack in json.loads (py-evm lifted the recursion
    # limit) and takes the whole process down; with it, the client gets a problem response.
    client, settings = make_client(verifier=None)
    response = client.post(
        "/v1/applications",
        content=b"[" * 200_000,
        headers={**bearer(settings, APPLICANT, clock.now), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    shallow = client.post(
        "/v1/applications", json={"form": {}}, headers=bearer(settings, APPLICANT, clock.now)
    )
    assert shallow.status_code == 422  # ordinary bodies still reach validation
