import base64
import datetime as dt
from typing import Any

import pytest
from asn1crypto import cms, pem

from kz_eds import ReasonCode, RevocationStatus, VerificationPolicy, sign_attached, sign_detached, verify_cms
from kz_eds.certificates import public_key_of
from kz_eds.cms_verification import _attributes_signed

from .conftest import GOST, RSA

DOC = "Заявление о выдаче разрешения / Annex 2".encode()


@pytest.mark.parametrize("algorithm", [RSA, pytest.param(GOST, marks=pytest.mark.slow)])
def test_detached_round_trip_with_time_stamp(pki, trust, now, algorithm):
    signer = pki.signer(algorithm, "legal_first_head")
    stamp_time = now - dt.timedelta(minutes=3)
    signature = sign_detached(
        DOC, signer, signing_time=stamp_time, timestamper=pki.tsa(algorithm).timestamper(stamp_time)
    )
    result = verify_cms(signature, data=DOC, trust=trust, policy=VerificationPolicy(), now=now)
    assert result.valid, result.reasons
    assert result.signer is not None
    assert result.signer.algorithm == algorithm
    assert result.signer.iin == pki.identity(algorithm, "legal_first_head")["iin"]
    assert result.signer.bin == pki.manifest["legal_entity"]["bin"]
    assert result.signer.purpose == "signing"
    assert set(result.signer.roles) == {"legal_entity", "first_head"}
    assert result.timestamp_time == stamp_time
    assert result.signing_time == stamp_time
    assert result.revocation is RevocationStatus.GOOD
    assert len(result.chain) == 3 and "DEV" in result.chain[-1]
    # the same signature over another document is refused
    tampered = verify_cms(signature, data=DOC + b" ", trust=trust, policy=VerificationPolicy(), now=now)
    assert ReasonCode.MESSAGE_DIGEST_MISMATCH in tampered.codes
    assert not tampered.valid


@pytest.mark.parametrize("algorithm", [RSA, GOST])
def test_attached_round_trip_returns_the_content(pki, trust, now, algorithm):
    signature = sign_attached(DOC, pki.signer(algorithm, "individual_entrepreneur"), signing_time=now)
    result = verify_cms(signature, data=None, trust=trust, policy=VerificationPolicy(), now=now)
    assert result.valid, result.reasons
    assert result.content == DOC
    assert result.signer is not None
    assert result.timestamp_time is None
    assert result.signer.roles == ("individual",)
    assert result.signer.bin is None


def test_pem_and_base64_inputs_are_accepted(pki, trust, now):
    signature = sign_attached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    for encoded in (pem.armor("CMS", signature), base64.encodebytes(signature)):
        result = verify_cms(encoded, data=None, trust=trust, policy=VerificationPolicy(), now=now)
        assert result.valid, result.reasons


def test_json_shape_for_callers(pki, trust, now):
    signature = sign_detached(DOC, pki.signer(RSA, "legal_employee"), signing_time=now)
    result = verify_cms(
        signature, data=DOC, trust=trust, policy=VerificationPolicy(require_right_to_sign=True), now=now
    )
    body: dict[str, Any] = result.as_json()
    assert body["valid"] is False
    assert body["signer"]["roles"] == ["legal_entity", "employee"]
    assert body["signer"]["algorithm"] == RSA
    assert body["reasons"] == [{"code": "no_right_to_sign", "message": result.reasons[0].message}]


def _ber_attached(der):
    """Re-encode an attached SignedData the way Java/KalkanCrypt streams it: indefinite lengths and
    the document as a constructed OCTET STRING in chunks."""
    info = cms.ContentInfo.load(der)
    signed = info["content"]
    encap = signed["encap_content_info"]
    document = bytes(encap["content"])
    chunks = b"".join(b"\x04" + bytes([len(part)]) + part for part in (document[:7], document[7:]))
    encap_ber = (
        b"\x30\x80" + encap["content_type"].dump() + b"\xa0\x80" + b"\x24\x80" + chunks + b"\x00\x00" * 3
    )
    signed_ber = (
        b"\x30\x80"
        + signed["version"].dump()
        + signed["digest_algorithms"].dump()
        + encap_ber
        + signed["certificates"].dump()
        + _ber_signer_infos(signed["signer_infos"])
        + b"\x00\x00"
    )
    return b"\x30\x80" + info["content_type"].dump() + b"\xa0\x80" + signed_ber + b"\x00\x00" * 2


def _der_length(size):
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _ber_signer_infos(signer_infos):
    """SET OF SignerInfo with indefinite lengths, signed attributes included (their DER is signed)."""
    out = b""
    for info in signer_infos:
        attrs = info["signed_attrs"]
        # sent out of DER order, as a streaming encoder may; the signature covers the DER SET OF
        body = b"".join(attr.dump() for attr in reversed(list(attrs)))
        attrs_ber = b"\xa0" + _der_length(len(body)) + body
        out += (
            b"\x30\x80"
            + info["version"].dump()
            + info["sid"].dump()
            + info["digest_algorithm"].dump()
            + attrs_ber
            + info["signature_algorithm"].dump()
            + info["signature"].dump()
            + b"\x00\x00"
        )
    return b"\x31\x80" + out + b"\x00\x00"


def test_ber_indefinite_length_attached_signature(pki, trust, now):
    der = sign_attached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    ber = _ber_attached(der)
    assert ber != der and ber.startswith(b"\x30\x80")
    result = verify_cms(ber, data=None, trust=trust, policy=VerificationPolicy(), now=now)
    assert result.valid, result.reasons
    assert result.content == DOC
    assert verify_cms(ber, data=DOC, trust=trust, policy=VerificationPolicy(), now=now).valid


def test_attributes_out_of_der_order_are_checked_in_der_order(pki):
    signer = pki.signer(RSA, "individual_entrepreneur")
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [b"\x01" * 32]}),
        ]
    )
    der = attrs.dump(force=True)
    signature = signer.sign(der)
    body = b"".join(a.dump() for a in reversed(list(cms.CMSAttributes.load(der))))
    unsorted = b"\xa0" + _der_length(len(body)) + body
    assert b"\x31" + unsorted[1:] != der
    key = public_key_of(signer.certificate)
    assert _attributes_signed(key, signer.signature_algorithm, unsorted, signature)
    assert not _attributes_signed(key, signer.signature_algorithm, unsorted, signature[::-1])
