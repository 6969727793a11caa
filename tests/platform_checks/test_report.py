"""The signed report: schema, content hash over RFC 8785, Ed25519 signature, key files."""

from __future__ import annotations

import asyncio
import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import nacl.signing
import pytest

from permitchain.rule_profile import RuleProfile
from platform_checks import content_hash, load_signing_key, report_schema, verify_report
from platform_checks.endpoints import parse_endpoint
from platform_checks.exceptions import ReportVerificationError, SigningKeyError
from platform_checks.report import write_new_signing_key
from platform_checks.runner import run_platform_check
from tests.platform_checks.conftest import FakeTime, local_settings, running_network


@pytest.fixture(scope="module")
def signed_report(rule_profile: RuleProfile) -> tuple[dict[str, Any], nacl.signing.SigningKey]:
    fake_time = FakeTime()
    key = nacl.signing.SigningKey(bytes(range(32)))
    with running_network("qbft", 5) as net:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        run = asyncio.run(
            run_platform_check(
                [parse_endpoint(u, token="t0ken") for u in net.urls],
                profile=rule_profile,
                settings=local_settings(),
                clock=fake_time.clock,
                sleep=fake_time.sleep,
            )
        )
    return run.signed_report(key), key


def test_report_matches_its_schema_and_verifies(signed_report: tuple[dict[str, Any], Any]) -> None:
    report, key = signed_report
    jsonschema.validate(report, report_schema())
    body = verify_report(report, key.verify_key.encode().hex())
    assert body["verdict"] == "pass"
    assert [c["id"] for c in body["checks"]] == [
        "reachability",
        "one_network",
        "distinct_nodes",
        "node_count",
        "connectivity",
        "liveness",
        "consensus",
    ]
    assert body["started_at"] == "2026-03-02T06:00:00Z"


def test_tokens_never_appear_in_the_report(signed_report: tuple[dict[str, Any], Any]) -> None:
    report, _ = signed_report
    text = json.dumps(report)
    assert "t0ken" not in text
    assert all(e["bearer_token"] is True for e in report["body"]["endpoints"])


def test_hash_survives_reserialisation(signed_report: tuple[dict[str, Any], Any]) -> None:
    report, key = signed_report
    reparsed = json.loads(json.dumps(report, indent=4, sort_keys=False, ensure_ascii=True))
    reordered = {
        "signature": reparsed["signature"],
        "content_hash": reparsed["content_hash"],
        "body": dict(reversed(list(reparsed["body"].items()))),
    }
    assert verify_report(reordered, key.verify_key.encode()) == report["body"]


def test_altered_report_is_rejected(signed_report: tuple[dict[str, Any], Any]) -> None:
    report, key = signed_report
    altered = copy.deepcopy(report)
    altered["body"]["verdict"] = "fail"
    with pytest.raises(ReportVerificationError, match="altered"):
        verify_report(altered, key.verify_key.encode())
    rehashed = copy.deepcopy(altered)
    rehashed["content_hash"] = content_hash(rehashed["body"])
    with pytest.raises(ReportVerificationError, match="signature is not valid"):
        verify_report(rehashed, key.verify_key.encode())


def test_other_key_is_rejected(signed_report: tuple[dict[str, Any], Any]) -> None:
    report, _ = signed_report
    other = nacl.signing.SigningKey(bytes(32)).verify_key.encode()
    with pytest.raises(ReportVerificationError, match="different key"):
        verify_report(report, other)


@pytest.mark.parametrize(
    "thing",
    [
        None,
        [],
        {"body": 1},
        {"body": {}, "signature": {"algorithm": "RSA"}},
        {"body": {"schema": "other@1"}, "signature": {"algorithm": "Ed25519"}},
    ],
)
def test_non_reports_are_rejected(thing: Any) -> None:
    with pytest.raises(ReportVerificationError):
        verify_report(thing, bytes(32))


def test_key_file_round_trip_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "regulator.key"
    key = write_new_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_signing_key(path).encode() == key.encode()
    with pytest.raises(SigningKeyError, match="overwrite"):
        write_new_signing_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="readable by others"):
        load_signing_key(path)


@pytest.mark.parametrize("content", ["zz", "00" * 31, ""])
def test_bad_key_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.key"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(SigningKeyError):
        load_signing_key(path)
    with pytest.raises(SigningKeyError, match="not found"):
        load_signing_key(tmp_path / "missing.key")
