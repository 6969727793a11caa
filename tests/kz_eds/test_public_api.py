"""The public surface other packages code against (registry_api, CLI) stays importable and typed."""

import datetime as dt

import pytest
from asn1crypto import core, x509

import kz_eds
from kz_eds import ReasonCode, parse_kz_certificate
from kz_eds.issuance import CertificateProfile, generate_key, issue_certificate
from permitchain.errors import PermitChainError

from .conftest import RSA


def test_every_exported_name_exists():
    for name in kz_eds.__all__:
        assert hasattr(kz_eds, name), name
    assert issubclass(kz_eds.EdsError, PermitChainError)


def test_reason_codes_are_stable_strings():
    # stored by the registry: renaming one is a breaking change
    assert ReasonCode.MESSAGE_DIGEST_MISMATCH.value == "message_digest_mismatch"
    assert ReasonCode.NO_RIGHT_TO_SIGN.value == "no_right_to_sign"
    assert ReasonCode.CERTIFICATE_REVOKED.value == "certificate_revoked"
    assert len({c.value for c in ReasonCode}) == len(ReasonCode)


def test_bmpstring_names_and_bin_in_ou_are_read(pki, now):
    """Older NCA software writes names as BMPString; the profile must read them like UTF8String."""
    rdns = [
        (x509.NameTypeAndValue({"type": "2.5.4.3", "value": core.BMPString("ӘЛИЕВ ДӘУРЕН")})),
        (x509.NameTypeAndValue({"type": "2.5.4.5", "value": core.PrintableString("IIN921029350851")})),
        (x509.NameTypeAndValue({"type": "2.5.4.10", "value": core.BMPString('АО "Қазақ"')})),
        (x509.NameTypeAndValue({"type": "2.5.4.11", "value": core.BMPString("BIN940140000385")})),
    ]
    subject = x509.Name(name="", value=x509.RDNSequence([x509.RelativeDistinguishedName([a]) for a in rdns]))
    key = generate_key(RSA)
    cert = issue_certificate(
        subject=subject,
        subject_key=key,
        issuer=None,
        issuer_key=key,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=1),
        profile=CertificateProfile(extended_key_usage=("1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2.2")),
    )
    profile = parse_kz_certificate(cert.dump())
    assert profile.common_name == "ӘЛИЕВ ДӘУРЕН"
    assert profile.iin == "921029350851"
    assert profile.bin == "940140000385"
    assert profile.organisation == 'АО "Қазақ"'
    assert profile.roles == ("right_to_sign",)
    assert profile.may_sign_for_entity


def test_parse_rejects_non_certificates():
    with pytest.raises(kz_eds.CertificateParseError):
        parse_kz_certificate(b"\x30\x00")
    with pytest.raises(kz_eds.CertificateParseError):
        parse_kz_certificate(b"x" * 70_000)
