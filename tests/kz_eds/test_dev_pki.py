import pytest

from kz_eds import DevPki, EdsConfigError, parse_kz_certificate, validate_bin, validate_iin

from .conftest import GOST, RSA


def test_manifest_lists_every_role_with_the_kazakh_profile(pki):
    again = DevPki.load(pki.directory)
    assert again.manifest == pki.manifest
    entity_bin = pki.manifest["legal_entity"]["bin"]
    validate_bin(entity_bin)
    validate_bin(pki.manifest["regulator"]["bin"])
    expected = {
        "individual_entrepreneur": ("signing", ("individual",), False),
        "legal_first_head": ("signing", ("legal_entity", "first_head"), True),
        "legal_right_to_sign": ("signing", ("legal_entity", "right_to_sign"), True),
        "legal_employee": ("signing", ("legal_entity", "employee"), True),
        "regulator_head": ("signing", ("legal_entity", "first_head"), True),
        "authentication": ("authentication", ("individual",), False),
        "expired": ("signing", ("individual",), False),
        "revoked": ("signing", ("individual",), False),
    }
    for algorithm in (RSA, GOST):
        for role, (purpose, roles, has_bin) in expected.items():
            profile = parse_kz_certificate(pki.certificate(algorithm, role))
            assert profile.algorithm == algorithm
            assert profile.purpose == purpose, role
            assert profile.roles == roles, role
            assert profile.iin is not None
            assert validate_iin(profile.iin) == pki.identity(algorithm, role)["iin"]
            assert (profile.bin is not None) == has_bin
            if role == "authentication":
                assert profile.key_usage == {"digital_signature", "key_encipherment"}
        tsa = parse_kz_certificate(pki.certificate(algorithm, "tsa"))
        assert tsa.extended_key_usage == ("1.3.6.1.5.5.7.3.8",)
    head = parse_kz_certificate(pki.certificate(RSA, "legal_first_head"))
    assert head.bin == entity_bin and head.organisation == 'ТОО "Digital Asset Platform"'
    file_roles = {entry["role"] for entry in pki.manifest["files"]}
    assert {"root", "issuing_ca", "issuing_ca_crl", "root_crl", "tsa", "regulator_head"} <= file_roles


def test_expired_certificate_is_in_the_past(pki, now):
    profile = parse_kz_certificate(pki.certificate(GOST, "expired"))
    assert profile.not_after < now


def test_ca_files_are_addressable(pki):
    assert pki.ca_file(GOST, "ca_crl").read_bytes()[:1] == b"\x30"
    assert pki.ca_file(RSA, "root").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    with pytest.raises(EdsConfigError):
        pki.ca_file(RSA, "manifest")
