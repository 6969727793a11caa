"""Every way a signature can fail gives its own reason code, never an exception."""

import datetime as dt

import pytest
from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kz_eds import (
    ReasonCode,
    RevocationStatus,
    TrustStore,
    VerificationPolicy,
    VerificationResult,
    sign_attached,
    sign_detached,
    verify_cms,
)
from kz_eds.dev_pki import REVOKED_BEFORE_NOW
from kz_eds.exceptions import EdsConfigError
from kz_eds.issuance import CertificateProfile, generate_key, issue_certificate, issue_crl, kz_name, sign_with
from kz_eds.key_containers import KeyMaterial, read_key_files
from kz_eds.signing import RsaFileSigner
from kz_eds.tsa import TimeStampAuthority

from .conftest import GOST, RSA

DOC = b"permit application 42"
POLICY = VerificationPolicy()


def _sign(pki, role, now, algorithm=RSA, **kw):
    return sign_detached(DOC, pki.signer(algorithm, role), signing_time=now, **kw)


def _codes(signature, trust, now, *, data=DOC, policy=POLICY):
    return verify_cms(signature, data=data, trust=trust, policy=policy, now=now).codes


def test_wrong_message_digest_attribute(pki, trust, now):
    signature = _sign(pki, "individual_entrepreneur", now)
    info = cms.ContentInfo.load(signature)
    signer_info = info["content"]["signer_infos"][0]
    for attr in signer_info["signed_attrs"]:
        if attr["type"].native == "message_digest":
            attr["values"] = [b"\x00" * 32]
    codes = _codes(info.dump(force=True), trust, now)
    assert ReasonCode.MESSAGE_DIGEST_MISMATCH in codes
    assert ReasonCode.SIGNATURE_INVALID in codes  # the attribute was changed after signing


def test_signature_value_flipped(pki, trust, now):
    info = cms.ContentInfo.load(_sign(pki, "individual_entrepreneur", now))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0x01
    signer_info["signature"] = bytes(value)
    assert _codes(info.dump(force=True), trust, now) == {ReasonCode.SIGNATURE_INVALID}


def test_untrusted_root(pki, now):
    gost_only = pki.trust_store(algorithms=[GOST])
    codes = _codes(_sign(pki, "individual_entrepreneur", now), gost_only, now)
    assert codes == {ReasonCode.CHAIN_UNTRUSTED}


def test_expired_at_signing_time(pki, trust, now):
    assert _codes(_sign(pki, "expired", now), trust, now) == {ReasonCode.CERTIFICATE_EXPIRED}


def test_not_yet_valid_when_signing_time_precedes_the_certificate(pki, trust, now):
    codes = _codes(_sign(pki, "individual_entrepreneur", now - dt.timedelta(days=60)), trust, now)
    assert codes == {ReasonCode.CERTIFICATE_NOT_YET_VALID}


def test_revoked_before_signing(pki, trust, now):
    result = verify_cms(_sign(pki, "revoked", now), data=DOC, trust=trust, policy=POLICY, now=now)
    assert result.codes == {ReasonCode.CERTIFICATE_REVOKED}
    assert result.revocation is RevocationStatus.REVOKED


def test_revoked_after_a_time_stamped_signature_is_still_valid(pki, trust, now):
    signed_at = now - REVOKED_BEFORE_NOW - dt.timedelta(days=3)
    signature = _sign(pki, "revoked", signed_at, timestamper=pki.tsa(RSA).timestamper(signed_at))
    result = verify_cms(signature, data=DOC, trust=trust, policy=POLICY, now=now)
    assert result.valid, result.reasons
    assert result.revocation is RevocationStatus.REVOKED_AFTER_SIGNING
    assert result.timestamp_time == signed_at


def test_revoked_with_only_a_claimed_earlier_signing_time_is_refused(pki, trust, now):
    signed_at = now - REVOKED_BEFORE_NOW - dt.timedelta(days=3)
    assert _codes(_sign(pki, "revoked", signed_at), trust, now) == {ReasonCode.CERTIFICATE_REVOKED}


def test_time_stamp_over_another_signature(pki, trust, now):
    tsa = pki.tsa(RSA)

    def wrong_stamp(signature, digest_oid):
        return tsa.timestamper(now)(signature + b"x", digest_oid)

    codes = _codes(_sign(pki, "individual_entrepreneur", now, timestamper=wrong_stamp), trust, now)
    assert codes == {ReasonCode.TIMESTAMP_IMPRINT_MISMATCH}


def test_time_stamp_from_a_certificate_without_time_stamping_usage(pki, trust, now):
    ident = pki.identity(RSA, "individual_entrepreneur")
    material = read_key_files(pki.path(ident["key"]), pki.path(ident["certificate"]), None)
    fake_tsa = TimeStampAuthority(material.certificate, material.key)
    codes = _codes(
        _sign(pki, "individual_entrepreneur", now, timestamper=fake_tsa.timestamper(now)), trust, now
    )
    assert codes == {ReasonCode.TIMESTAMP_UNTRUSTED}


def test_policy_can_require_a_time_stamp(pki, trust, now):
    strict = VerificationPolicy(allow_signing_time_without_tsp=False)
    assert _codes(_sign(pki, "individual_entrepreneur", now), trust, now, policy=strict) == {
        ReasonCode.SIGNING_TIME_UNPROVEN
    }


def test_signing_time_in_the_future(pki, trust, now):
    later = now + dt.timedelta(days=2)
    assert _codes(_sign(pki, "individual_entrepreneur", later), trust, now) == {
        ReasonCode.SIGNING_TIME_IN_FUTURE
    }


def test_authentication_key_used_to_sign(pki, trust, now):
    assert _codes(_sign(pki, "authentication", now), trust, now) == {ReasonCode.NOT_SIGNING_CERTIFICATE}
    relaxed = VerificationPolicy(require_signing_purpose=False)
    assert _codes(_sign(pki, "authentication", now), trust, now, policy=relaxed) == set()


def test_iin_and_bin_mismatch(pki, trust, now):
    signature = _sign(pki, "legal_first_head", now)
    own_iin = pki.identity(RSA, "legal_first_head")["iin"]
    other_iin = pki.identity(RSA, "individual_entrepreneur")["iin"]
    assert _codes(signature, trust, now, policy=VerificationPolicy(expected_iin=own_iin)) == set()
    assert _codes(signature, trust, now, policy=VerificationPolicy(expected_iin=other_iin)) == {
        ReasonCode.IIN_MISMATCH
    }
    regulator_bin = pki.manifest["regulator"]["bin"]
    assert _codes(signature, trust, now, policy=VerificationPolicy(expected_bin=regulator_bin)) == {
        ReasonCode.BIN_MISMATCH
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("legal_first_head", set()),
        ("legal_right_to_sign", set()),
        ("legal_employee", {ReasonCode.NO_RIGHT_TO_SIGN}),
        ("individual_entrepreneur", {ReasonCode.NO_RIGHT_TO_SIGN}),
    ],
)
def test_right_to_sign_for_a_legal_entity(pki, trust, now, role, expected):
    policy = VerificationPolicy(expected_bin=pki.manifest["legal_entity"]["bin"], require_right_to_sign=True)
    codes = _codes(_sign(pki, role, now), trust, now, policy=policy)
    if role == "individual_entrepreneur":
        expected = expected | {ReasonCode.BIN_MISMATCH}
    assert codes == expected


def test_malformed_truncated_and_huge_inputs(pki, trust, now):
    good = _sign(pki, "individual_entrepreneur", now)
    assert _codes(b"\x30\x03\x02\x01", trust, now) == {ReasonCode.MALFORMED_CMS}
    assert _codes(good[: len(good) // 2], trust, now) == {ReasonCode.MALFORMED_CMS}
    assert _codes(b"not a signature at all!", trust, now) == {ReasonCode.MALFORMED_CMS}
    small = VerificationPolicy(max_input_bytes=1024)
    assert _codes(good, trust, now, policy=small) == {ReasonCode.INPUT_TOO_LARGE}
    assert _codes(good, trust, now, data=b"x" * 2048, policy=small) == {ReasonCode.INPUT_TOO_LARGE}


def test_gost_content_has_its_own_size_cap(pki, trust, now):
    signature = sign_attached(b"y" * 600, pki.signer(GOST, "individual_entrepreneur"), signing_time=now)
    capped = VerificationPolicy(max_gost_content_bytes=512)
    result = verify_cms(signature, data=None, trust=trust, policy=capped, now=now)
    assert result.codes == {ReasonCode.INPUT_TOO_LARGE}
    assert "Streebog" in result.reasons[0].message


def test_content_missing_conflict_and_not_signed_data(pki, trust, now):
    detached = _sign(pki, "individual_entrepreneur", now)
    assert _codes(detached, trust, now, data=None) == {ReasonCode.CONTENT_MISSING}
    attached = sign_attached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    assert _codes(attached, trust, now, data=b"other") == {ReasonCode.CONTENT_CONFLICT}
    data_only = cms.ContentInfo({"content_type": "data", "content": b"hello"}).dump()
    assert _codes(data_only, trust, now) == {ReasonCode.NOT_SIGNED_DATA}


def test_signer_certificate_missing(pki, trust, now):
    info = cms.ContentInfo.load(_sign(pki, "individual_entrepreneur", now))
    info["content"]["certificates"] = []
    assert _codes(info.dump(force=True), trust, now) == {ReasonCode.SIGNER_CERTIFICATE_MISSING}


def test_revocation_unknown_without_a_crl_unless_allowed(pki, now):
    no_crls = pki.trust_store(with_crls=False)
    signature = _sign(pki, "individual_entrepreneur", now)
    result = verify_cms(signature, data=DOC, trust=no_crls, policy=POLICY, now=now)
    assert result.codes == {ReasonCode.REVOCATION_UNKNOWN}
    assert "no CRL" in result.reasons[0].message
    relaxed = VerificationPolicy(require_revocation_check=False)
    assert verify_cms(signature, data=DOC, trust=no_crls, policy=relaxed, now=now).valid


def test_stale_crl_does_not_count(pki, trust, now):
    later = now + dt.timedelta(days=8)  # the CA's CRL says next update within 7 days
    result = verify_cms(
        _sign(pki, "individual_entrepreneur", now), data=DOC, trust=trust, policy=POLICY, now=later
    )
    assert result.codes == {ReasonCode.REVOCATION_UNKNOWN}
    assert "stale" in result.reasons[0].message


def test_crl_with_a_forged_signature_is_ignored(pki, now):
    crl = asn1_crl.CertificateList.load(pki.path(pki.manifest["algorithms"][RSA]["ca_crl"]).read_bytes())
    forged = bytearray(crl["signature"].native)
    forged[0] ^= 0xFF
    crl["signature"] = bytes(forged)
    store = TrustStore(
        roots=pki.certificates(RSA, "root"), intermediates=pki.certificates(RSA, "ca"), crls=[crl]
    )
    result = verify_cms(_sign(pki, "revoked", now), data=DOC, trust=store, policy=POLICY, now=now)
    assert result.codes == {ReasonCode.REVOCATION_UNKNOWN}
    assert "does not verify" in result.reasons[0].message


def test_caller_mistakes_raise(pki, trust, now):
    signature = _sign(pki, "individual_entrepreneur", now)
    with pytest.raises(EdsConfigError):
        verify_cms(signature, data=DOC, trust=trust, policy=POLICY, now=now.replace(tzinfo=None))
    with pytest.raises(EdsConfigError):
        verify_cms("text", data=DOC, trust=trust, policy=POLICY, now=now)  # type: ignore[arg-type]
    with pytest.raises(EdsConfigError):
        VerificationPolicy(max_chain_depth=0)
    with pytest.raises(EdsConfigError):
        TrustStore(roots=[])


@pytest.fixture(scope="module")
def good_signature(pki, now):
    return _sign(pki, "individual_entrepreneur", now)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255), cut=st.booleans())
def test_damaged_signatures_never_raise(pki, trust, now, good_signature, position, value, cut):
    damaged = bytearray(good_signature)
    index = position % len(damaged)
    if cut:
        damaged = damaged[:index]
    else:
        damaged[index] = value
    result = verify_cms(bytes(damaged), data=DOC, trust=trust, policy=POLICY, now=now)
    assert isinstance(result, VerificationResult)
    if result.valid:  # only bytes outside what is signed (e.g. the SignedData version) may change
        assert result.signer is not None
        assert result.signer.iin == pki.identity(RSA, "individual_entrepreneur")["iin"]
    else:
        assert result.reasons


def _co_signed(pki, now, first_role, second_role):
    first = cms.ContentInfo.load(_sign(pki, first_role, now))
    second = cms.ContentInfo.load(_sign(pki, second_role, now))
    signed = first["content"]
    signed["signer_infos"] = [*signed["signer_infos"], second["content"]["signer_infos"][0]]
    signed["certificates"] = [*signed["certificates"], *second["content"]["certificates"]]
    return first.dump(force=True)


def test_every_co_signer_must_hold(pki, trust, now):
    both_good = _co_signed(pki, now, "legal_first_head", "individual_entrepreneur")
    policy = VerificationPolicy(expected_bin=pki.manifest["legal_entity"]["bin"], require_right_to_sign=True)
    result = verify_cms(both_good, data=DOC, trust=trust, policy=policy, now=now)
    assert result.valid, result.reasons
    assert result.signer is not None and result.signer.roles == ("legal_entity", "first_head")
    with_revoked = _co_signed(pki, now, "legal_first_head", "revoked")
    result = verify_cms(with_revoked, data=DOC, trust=trust, policy=policy, now=now)
    assert result.codes == {ReasonCode.CERTIFICATE_REVOKED}
    assert result.reasons[0].message.startswith("co-signer ")
    assert result.signer is not None and result.signer.roles == ("legal_entity", "first_head")
    neither = _co_signed(pki, now, "legal_employee", "individual_entrepreneur")
    assert verify_cms(neither, data=DOC, trust=trust, policy=policy, now=now).codes & {
        ReasonCode.NO_RIGHT_TO_SIGN
    }


def test_unknown_critical_extension_is_refused(pki, trust, now):
    ca_paths = pki.manifest["algorithms"][RSA]
    ca_material = read_key_files(pki.path(ca_paths["ca_key"]), pki.path(ca_paths["ca"]), None)
    key = generate_key(RSA)
    cert = issue_certificate(
        subject=kz_name(common_name="ТЕСТ", iin=pki.identity(RSA, "individual_entrepreneur")["iin"]),
        subject_key=key,
        issuer=ca_material.certificate,
        issuer_key=ca_material.key,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
        profile=CertificateProfile(extended_key_usage=("1.3.6.1.5.5.7.3.4",)),
    )
    tbs = cert["tbs_certificate"]
    tbs["extensions"] = [
        *tbs["extensions"],
        {"extn_id": "1.2.3.4.5", "critical": True, "extn_value": b"\x05\x00"},
    ]
    cert["signature_value"] = sign_with(ca_material.key, tbs.dump(force=True))
    signer = RsaFileSigner(KeyMaterial(key, cert, ()))
    result = verify_cms(_sign_with(signer, now), data=DOC, trust=trust, policy=POLICY, now=now)
    assert ReasonCode.UNSUPPORTED_CRITICAL_EXTENSION in result.codes


def _sign_with(signer, now):
    return sign_detached(DOC, signer, signing_time=now)


def test_hostile_counts_of_signers_and_certificates_are_refused(pki, trust, now):
    info = cms.ContentInfo.load(_sign(pki, "individual_entrepreneur", now))
    signed = info["content"]
    signed["certificates"] = list(signed["certificates"]) * 26
    assert _codes(info.dump(force=True), trust, now) == {ReasonCode.INPUT_TOO_LARGE}
    info = cms.ContentInfo.load(_sign(pki, "individual_entrepreneur", now))
    signed = info["content"]
    signed["signer_infos"] = list(signed["signer_infos"]) * 9
    assert _codes(info.dump(force=True), trust, now) == {ReasonCode.INPUT_TOO_LARGE}


def test_time_stamp_by_a_revoked_tsa_is_untrusted(pki, now):
    ca = read_key_files(pki.ca_file(RSA, "ca_key"), pki.ca_file(RSA, "ca"), None)
    tsa_cert = pki.certificate(RSA, "tsa")
    crl = issue_crl(
        issuer=ca.certificate,
        issuer_key=ca.key,
        revoked=[(tsa_cert.serial_number, now - dt.timedelta(days=2))],
        this_update=now - dt.timedelta(hours=1),
        next_update=now + dt.timedelta(days=1),
        number=9,
    )
    store = TrustStore(roots=pki.certificates(RSA, "root"), intermediates=[ca.certificate], crls=[crl])
    stamped_at = now - dt.timedelta(hours=1)
    signature = _sign(
        pki, "individual_entrepreneur", stamped_at, timestamper=pki.tsa(RSA).timestamper(stamped_at)
    )
    assert _codes(signature, store, now) == {ReasonCode.TIMESTAMP_UNTRUSTED}
    # stamped before the TSA's revocation: still proof of time
    earlier = now - dt.timedelta(days=3)
    signature = _sign(pki, "individual_entrepreneur", now, timestamper=pki.tsa(RSA).timestamper(earlier))
    result = verify_cms(signature, data=DOC, trust=store, policy=POLICY, now=now)
    assert ReasonCode.TIMESTAMP_UNTRUSTED not in result.codes
    assert result.timestamp_time == earlier
