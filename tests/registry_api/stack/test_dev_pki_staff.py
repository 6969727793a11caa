"""Staff and applicant login certificates of the dev PKI, and the stack reusing a PKI it already made."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kz_eds import parse_kz_certificate
from kz_eds.dev_pki import STAFF_ROLES, DevPki, generate_dev_pki
from registry_api.dev_stack import StackPaths, ensure_pki, login_keys, staff_from_pki

RSA = "RSA-SHA256"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> DevPki:
    return generate_dev_pki(tmp_path_factory.mktemp("pki"), now=NOW, algorithms=[RSA])


def test_staff_have_regulator_authentication_certificates(pki):
    regulator_bin = pki.manifest["regulator"]["bin"]
    for identity in STAFF_ROLES:
        profile = parse_kz_certificate(pki.certificate(RSA, identity))
        assert profile.purpose == "authentication", identity
        assert profile.bin == regulator_bin
        assert "legal_entity" in profile.roles
        assert profile.key_usage == {"digital_signature", "key_encipherment"}
        assert profile.iin == pki.identity(RSA, identity)["iin"]


def test_the_heads_login_is_the_signing_head_and_the_staff_list_names_roles(pki):
    head_iin = pki.identity(RSA, "regulator_head")["iin"]
    assert pki.identity(RSA, "regulator_head_auth")["iin"] == head_iin
    staff = staff_from_pki(pki.manifest)
    assert {m["role"] for m in staff} == {"officer", "head", "auditor"}
    assert {"iin": head_iin, "role": "head"} in staff
    assert len({m["iin"] for m in staff}) == 3  # three different people
    assert pki.staff() == [
        {"algorithm": RSA, "identity": name, "role": role, "iin": pki.identity(RSA, name)["iin"]}
        for name, role in STAFF_ROLES.items()
    ]


def test_the_applicants_first_head_can_log_in_for_the_legal_entity(pki):
    profile = parse_kz_certificate(pki.certificate(RSA, "legal_first_head_auth"))
    assert profile.purpose == "authentication"
    assert profile.iin == pki.identity(RSA, "legal_first_head")["iin"]
    assert profile.bin == pki.manifest["legal_entity"]["bin"]
    assert "first_head" in profile.roles


def test_stack_reuses_a_dev_pki_with_staff_and_replaces_an_older_one(tmp_path):
    paths = StackPaths(tmp_path)
    first, reused = ensure_pki(paths, now=NOW, algorithms=[RSA])
    assert not reused
    again, reused = ensure_pki(paths, now=NOW, algorithms=[RSA])
    assert reused and again.manifest == first.manifest
    # A PKI made before staff certificates existed has no "staff": the stack makes a new one.
    manifest = json.loads((paths.pki / "manifest.json").read_text(encoding="utf-8"))
    del manifest["algorithms"][RSA]["staff"]
    (paths.pki / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    fresh, reused = ensure_pki(paths, now=NOW, algorithms=[RSA])
    assert not reused
    assert fresh.manifest["generated_at"] == first.manifest["generated_at"]  # same `now` given
    assert (
        fresh.identity(RSA, "regulator_officer")["serial"]
        != first.identity(RSA, "regulator_officer")["serial"]
    )
    assert staff_from_pki(fresh.manifest)


def test_the_login_keys_the_summary_names_exist_and_are_private(pki):
    keys = login_keys(pki)
    assert set(keys) == {
        "officer login",
        "head login",
        "auditor login",
        "applicant login",
        "applicant signing",
    }
    for path in keys.values():
        assert path.is_file() and path.suffix == ".p12"
        assert path.stat().st_mode & 0o077 == 0
