"""The HTTP shell: OpenAPI and docs are served, errors are problem responses with codes, size limits hold."""

from __future__ import annotations

from tests.registry_api.conftest import APPLICANT, bearer


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
