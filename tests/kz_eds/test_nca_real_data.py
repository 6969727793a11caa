"""Real NCA RK test PKI material: the profile, the key container and a full CMS round trip."""

import datetime as dt
from pathlib import Path

import pytest

from kz_eds import (
    GostFileSigner,
    KeyLoadError,
    ReasonCode,
    RevocationStatus,
    TrustStore,
    VerificationPolicy,
    parse_kz_certificate,
    sign_attached,
    verify_cms,
)
from kz_eds.certificates import load_certificate, load_crl
from kz_eds.key_containers import read_pkcs12, write_pkcs12
from kz_eds.path_validation import signed_by
from kz_eds.revocation import _crl_signed_by

DATA = Path(__file__).parent / "data"
P12 = DATA / "nca_test_gost2015_individual.p12"
NCA_PASSWORD = "Aa123456"  # published with NCANode's test suite; a test PKI key
WHILE_VALID = dt.datetime(2022, 8, 1, 12, 0, tzinfo=dt.UTC)


def test_nca_individual_certificate_profile():
    profile = parse_kz_certificate((DATA / "nca_test_gost2015_individual.cer").read_bytes())
    assert profile.iin == "123456789012"  # SERIALNUMBER=IIN… on OID 2.5.4.5
    assert profile.bin is None
    assert profile.common_name == "ТЕСТТОВ ТЕСТТ"
    assert profile.surname == "ТЕСТТОВ"
    assert profile.given_name == "ТЕСТТОВИЧ"
    assert profile.purpose == "signing"
    assert profile.roles == ("individual",)
    assert profile.policies == ("1.2.398.3.3.2",)  # GOST-2015 certificates carry only the NCA arc
    assert profile.algorithm == "GOST2015-512"
    # real NCA signing certificates also carry keyEncipherment (KZ-FACTS lists only DS + NR)
    assert profile.key_usage == {"digital_signature", "non_repudiation", "key_encipherment"}


def test_nca_issuing_ca_profile_reads_kazakh_letters():
    profile = parse_kz_certificate((DATA / "nca_test_gost_2022_issuing.cer").read_bytes())
    assert profile.common_name == "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022"
    assert profile.is_ca
    assert profile.issuer == "CN=НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022, C=KZ"


def test_nca_key_container_opens_and_matches_its_certificate():
    material = read_pkcs12(P12.read_bytes(), NCA_PASSWORD)
    assert material.certificate.dump() == (DATA / "nca_test_gost2015_individual.cer").read_bytes()
    assert "secret" in repr(material)
    with pytest.raises(KeyLoadError, match="wrong password"):
        read_pkcs12(P12.read_bytes(), "wrong")
    # re-wrapping into our own container keeps the key
    again = read_pkcs12(write_pkcs12(material, "new-password"), "new-password")
    assert again.key == material.key


def test_cms_made_with_the_real_nca_key_verifies_against_the_nca_ca():
    signer = GostFileSigner.from_pkcs12(P12, NCA_PASSWORD)
    signature = sign_attached(b"NCA test", signer, signing_time=WHILE_VALID)
    ca = load_certificate((DATA / "nca_test_gost_2022_issuing.cer").read_bytes())
    trust = TrustStore(roots=[ca], crls=[load_crl((DATA / "nca_test_gost_2022.crl").read_bytes())])
    test_pki = VerificationPolicy(accept_test_pki_identifiers=True)
    result = verify_cms(signature, data=None, trust=trust, policy=test_pki, now=WHILE_VALID)
    assert result.valid, result.reasons
    assert result.signer is not None and result.signer.iin == "123456789012"
    assert result.revocation is RevocationStatus.GOOD  # checked against the real NCA CRL
    strict = VerificationPolicy()
    assert verify_cms(signature, data=None, trust=trust, policy=strict, now=WHILE_VALID).codes == {
        ReasonCode.IDENTIFIER_INVALID
    }
    after_next_update = dt.datetime(2023, 2, 1, tzinfo=dt.UTC)
    assert (
        ReasonCode.REVOCATION_UNKNOWN
        in verify_cms(signature, data=None, trust=trust, policy=test_pki, now=after_next_update).codes
    )


def test_real_nca_gost_crl_signature_verifies():
    ca = load_certificate((DATA / "nca_test_gost_2022_issuing.cer").read_bytes())
    crl = load_crl((DATA / "nca_test_gost_2022.crl").read_bytes())
    assert _crl_signed_by(crl, ca)
    assert len(crl["tbs_cert_list"]["revoked_certificates"]) == 6
    crl["signature"] = bytes(crl["signature"].native)[::-1]
    assert not _crl_signed_by(crl, ca)


@pytest.mark.parametrize(
    ("name", "purpose", "roles", "algorithm", "bin_"),
    [
        ("nca_test_rsa_individual_sign.cer", "signing", ("individual",), "RSA-SHA256", None),
        ("nca_test_rsa_individual_auth.cer", "authentication", ("individual",), "RSA-SHA256", None),
        (
            "nca_test_gost2004_first_head.cer",
            "signing",
            ("legal_entity", "first_head"),
            "unknown",
            "123456789021",
        ),
    ],
)
def test_real_nca_rsa_and_legacy_certificates(name, purpose, roles, algorithm, bin_):
    cert = load_certificate((DATA / name).read_bytes())
    profile = parse_kz_certificate(cert)
    assert profile.iin == "123456789011"
    assert profile.bin == bin_
    assert profile.purpose == purpose
    assert profile.roles == roles
    assert profile.algorithm == algorithm
    rsa_ca = load_certificate((DATA / "nca_test_rsa_issuing.cer").read_bytes())
    assert signed_by(cert, rsa_ca) == (algorithm == "RSA-SHA256")


def test_real_nca_rsa_crl_signature_verifies():
    ca = load_certificate((DATA / "nca_test_rsa_issuing.cer").read_bytes())
    assert _crl_signed_by(load_crl((DATA / "nca_test_rsa.crl").read_bytes()), ca)
