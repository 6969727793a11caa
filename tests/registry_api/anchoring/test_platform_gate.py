"""The platform-check gate before the head signs a permit (R-DOC-1.3), against a real devnet node.

A one-node devnet is a real platform that must FAIL: one node is below the rule profile's minimum.
Loopback addresses are refused by the service unless explicitly allowed (tests allow them).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from platform_checks import verify_report
from platform_checks.report import write_new_signing_key
from registry_api.models.tables import Application, AuditEntry
from tests.registry_api.anchoring.conftest import Request

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture
def database_url(tmp_path):
    """SQLite only here: these paths do not depend on the database; PostgreSQL runs the worker,
    status-act and five-validator flows."""
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"


@pytest.fixture
def report_key(tmp_path):
    path = tmp_path / "platform-check.key"
    key = write_new_signing_key(path)
    return path, key.verify_key.encode().hex()


def _gate_settings(report_key, **extra):
    return {
        "require_platform_check": True,
        "platform_check_key_file": report_key[0],
        "platform_check_allow_private": True,
        "platform_check_liveness_window_seconds": 1.5,
        "platform_check_timeout_seconds": 10.0,
        **extra,
    }


def test_a_one_node_platform_fails_on_count_and_blocks_the_permit(
    make_client, pki, clock, devnet, report_key
) -> None:
    client, settings = make_client(pki=pki, **_gate_settings(report_key))
    request = Request(client, settings, pki, clock, endpoints=devnet.rpc)
    request.to_signature()

    missing = request.post("head", "sign")
    assert missing.status_code == 409 and missing.json()["code"] == "platform_check_missing"
    assert request.post("head", "platform-check").status_code == 403  # the officer runs it

    check = request.step("officer", "platform-check")
    assert check["verdict"] == "fail"
    failed = {r["check"]: r for r in check["reasons"]}
    assert failed["node_count"]["status"] == "fail"
    body = verify_report(check["report"], report_key[1])  # signed with the regulator's key
    assert body["min_nodes"] == settings.profile.platform_min_nodes
    assert check["content_hash"] == check["report"]["content_hash"]

    refused = request.post("head", "sign")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "platform_check_failed"
    assert "node_count" in {r["check"] for r in problem["reasons"]}
    latest = client.get(
        f"/v1/regulator/requests/{request.number}/platform-check", headers=request.headers("auditor")
    ).json()
    assert latest["content_hash"] == check["content_hash"]
    with client.app.state.sessions() as session:
        app = session.scalars(select(Application).where(Application.number == request.number)).one()
        assert app.status == "permit_pending_signature"  # nothing was signed
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.application_id == app.id)).all()
        assert "platform_check" in actions and "sign" not in actions


def test_loopback_endpoints_are_refused_unless_allowed(make_client, pki, clock, devnet, report_key) -> None:
    client, settings = make_client(pki=pki, **_gate_settings(report_key, platform_check_allow_private=False))
    request = Request(client, settings, pki, clock, endpoints=devnet.rpc)
    request.to_signature()
    response = request.post("officer", "platform-check")
    if response.status_code == 200:  # refused per endpoint: recorded as a failed check with evidence
        check = response.json()
        assert check["verdict"] == "fail"
        assert check["report"]["body"]["settings"]["allow_private"] is False
        reach = next(c for c in check["report"]["body"]["checks"] if c["id"] == "reachability")
        assert reach["status"] == "fail"
    else:  # refused before any call
        assert response.status_code == 422 and response.json()["code"] == "endpoints_invalid"
