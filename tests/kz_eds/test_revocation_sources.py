"""Revocation from CRL URLs (cached) and from an OCSP responder built from the dev PKI."""

import datetime as dt

import pytest
from asn1crypto import core
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from kz_eds import (
    OcspResponder,
    ReasonCode,
    RevocationStatus,
    TrustStore,
    VerificationPolicy,
    sign_detached,
    verify_cms,
)
from kz_eds.certificates import load_crl
from kz_eds.exceptions import FetchError
from kz_eds.issuance import sign_with, signature_algorithm_oid
from kz_eds.key_containers import read_key_files
from kz_eds.revocation import ocsp_request

from .conftest import GOST, RSA

DOC = b"revocation"
CRL_URL = "http://crl.dev.invalid/nca_rsa_dev.crl"
OCSP_URL = "http://ocsp.dev.invalid/"


def _store(pki, **kw):
    return TrustStore(roots=pki.certificates(RSA, "root"), intermediates=pki.certificates(RSA, "ca"), **kw)


def test_crl_by_url_is_fetched_once_and_cached_until_it_expires(pki, now):
    calls = []
    crl_bytes = pki.path(pki.manifest["algorithms"][RSA]["ca_crl"]).read_bytes()

    def fetcher(url, *, body=None, content_type=None):
        calls.append(url)
        return crl_bytes

    store = _store(pki, crl_urls=[CRL_URL], fetcher=fetcher)
    policy = VerificationPolicy()
    good = sign_detached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    revoked = sign_detached(DOC, pki.signer(RSA, "revoked"), signing_time=now)
    assert verify_cms(good, data=DOC, trust=store, policy=policy, now=now).valid
    assert verify_cms(revoked, data=DOC, trust=store, policy=policy, now=now).codes == {
        ReasonCode.CERTIFICATE_REVOKED
    }
    assert calls == [CRL_URL]
    later = now + store.crl_max_age + dt.timedelta(minutes=1)
    verify_cms(good, data=DOC, trust=store, policy=policy, now=later)
    assert calls == [CRL_URL, CRL_URL]


def test_unreachable_crl_url_is_a_reason_not_an_exception(pki, now):
    def fetcher(url, *, body=None, content_type=None):
        raise FetchError(f"cannot fetch {url}: connection refused")

    store = _store(pki, crl_urls=[CRL_URL], fetcher=fetcher)
    good = sign_detached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    result = verify_cms(good, data=DOC, trust=store, policy=VerificationPolicy(), now=now)
    assert result.codes == {ReasonCode.REVOCATION_UNKNOWN}
    assert "connection refused" in result.reasons[0].message


class DevOcspResponder:
    """An OCSP responder signed with the dev issuing CA's RSA key (cryptography.x509.ocsp)."""

    def __init__(self, pki, now, *, revoked_serials=(), signing_key=None, signing_cert=None):
        section = pki.manifest["algorithms"][RSA]
        self.ca = cx509.load_pem_x509_certificate(pki.path(section["ca"]).read_bytes())
        key = serialization.load_pem_private_key(pki.path(section["ca_key"]).read_bytes(), password=None)
        self.key = signing_key or key
        self.signing_cert = signing_cert
        self.now = now
        self.revoked = set(revoked_serials)
        self.certs = {}
        for role in ("individual_entrepreneur", "revoked"):
            cert = cx509.load_pem_x509_certificate(
                pki.path(pki.identity(RSA, role)["certificate"]).read_bytes()
            )
            self.certs[cert.serial_number] = cert
        self.requests = 0

    def __call__(self, url, *, body=None, content_type=None):
        assert url == OCSP_URL and content_type == "application/ocsp-request"
        self.requests += 1
        request = ocsp.load_der_ocsp_request(body)
        cert = self.certs[request.serial_number]
        revoked = cert.serial_number in self.revoked
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert,
            issuer=self.ca,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=self.now - dt.timedelta(minutes=1),
            next_update=self.now + dt.timedelta(hours=1),
            revocation_time=self.now - dt.timedelta(hours=2) if revoked else None,
            revocation_reason=None,
        )
        responder_cert = self.signing_cert or self.ca
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
        if self.signing_cert is not None:
            builder = builder.certificates([self.signing_cert])
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


def _ocsp_store(pki, responder):
    ca = pki.certificates(RSA, "ca")[0]
    return _store(pki, ocsp_responders=[OcspResponder(OCSP_URL, issuer=ca)], fetcher=responder)


def test_ocsp_good_without_any_crl(pki, now):
    responder = DevOcspResponder(pki, now)
    signature = sign_detached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    result = verify_cms(
        signature, data=DOC, trust=_ocsp_store(pki, responder), policy=VerificationPolicy(), now=now
    )
    assert result.valid, result.reasons
    assert result.revocation is RevocationStatus.GOOD
    assert responder.requests == 1


def test_ocsp_revoked(pki, now):
    cert = pki.certificate(RSA, "revoked")
    responder = DevOcspResponder(pki, now, revoked_serials=[cert.serial_number])
    signature = sign_detached(DOC, pki.signer(RSA, "revoked"), signing_time=now)
    result = verify_cms(
        signature, data=DOC, trust=_ocsp_store(pki, responder), policy=VerificationPolicy(), now=now
    )
    assert result.codes == {ReasonCode.CERTIFICATE_REVOKED}
    assert result.revocation is RevocationStatus.REVOKED


def test_ocsp_response_signed_by_a_stranger_is_not_trusted(pki, now):
    other_key = serialization.load_pem_private_key(
        pki.path(pki.identity(RSA, "legal_employee")["key"]).read_bytes(), password=None
    )
    other_cert = cx509.load_pem_x509_certificate(
        pki.path(pki.identity(RSA, "legal_employee")["certificate"]).read_bytes()
    )
    responder = DevOcspResponder(pki, now, signing_key=other_key, signing_cert=other_cert)
    signature = sign_detached(DOC, pki.signer(RSA, "individual_entrepreneur"), signing_time=now)
    result = verify_cms(
        signature, data=DOC, trust=_ocsp_store(pki, responder), policy=VerificationPolicy(), now=now
    )
    assert result.codes == {ReasonCode.REVOCATION_UNKNOWN}
    assert "OCSP: response signature not trusted" in result.reasons[0].message


def test_ocsp_fetcher_failure_falls_back_to_crls(pki, now):
    def broken(url, *, body=None, content_type=None):
        raise FetchError("timed out")

    ca = pki.certificates(RSA, "ca")[0]
    crl = pki.path(pki.manifest["algorithms"][RSA]["ca_crl"]).read_bytes()
    store = _store(
        pki, ocsp_responders=[OcspResponder(OCSP_URL, issuer=ca)], fetcher=broken, crls=[load_crl(crl)]
    )
    signature = sign_detached(DOC, pki.signer(RSA, "revoked"), signing_time=now)
    result = verify_cms(signature, data=DOC, trust=store, policy=VerificationPolicy(), now=now)
    assert result.codes == {ReasonCode.CERTIFICATE_REVOKED}


def test_ocsp_request_is_well_formed(pki):
    cert, ca = pki.certificate(RSA, "revoked"), pki.certificates(RSA, "ca")[0]
    request = asn1_ocsp.OCSPRequest.load(ocsp_request(cert, ca, nonce=b"n" * 16))
    parsed = ocsp.load_der_ocsp_request(request.dump())
    assert parsed.serial_number == cert.serial_number
    assert parsed.hash_algorithm.name == "sha256"


def _gost_ocsp_response(pki, now, request_der, *, revoked):
    """A GOST-signed OCSP response built with asn1crypto (cryptography cannot sign GOST)."""
    section = pki.manifest["algorithms"][GOST]
    ca = read_key_files(pki.path(section["ca_key"]), pki.path(section["ca"]), None)
    request = asn1_ocsp.OCSPRequest.load(request_der)
    cert_id = request["tbs_request"]["request_list"][0]["req_cert"]
    status = (
        asn1_ocsp.CertStatus(name="revoked", value={"revocation_time": now - dt.timedelta(hours=3)})
        if revoked
        else asn1_ocsp.CertStatus(name="good", value=core.Null())
    )
    tbs = asn1_ocsp.ResponseData(
        {
            "responder_id": asn1_ocsp.ResponderId(name="by_name", value=ca.certificate.subject),
            "produced_at": now,
            "responses": [
                {
                    "cert_id": cert_id,
                    "cert_status": status,
                    "this_update": now - dt.timedelta(minutes=1),
                    "next_update": now + dt.timedelta(hours=1),
                }
            ],
        }
    )
    basic = asn1_ocsp.BasicOCSPResponse(
        {
            "tbs_response_data": tbs,
            "signature_algorithm": {"algorithm": signature_algorithm_oid(ca.key)},
            "signature": sign_with(ca.key, tbs.dump()),
        }
    )
    return asn1_ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    ).dump()


@pytest.mark.parametrize("revoked", [False, True])
def test_gost_ocsp_responder(pki, now, revoked):
    def fetcher(url, *, body=None, content_type=None):
        return _gost_ocsp_response(pki, now, body, revoked=revoked)

    ca = pki.certificates(GOST, "ca")[0]
    store = TrustStore(
        roots=pki.certificates(GOST, "root"),
        intermediates=[ca],
        ocsp_responders=[OcspResponder(OCSP_URL, issuer=ca)],
        fetcher=fetcher,
    )
    signature = sign_detached(DOC, pki.signer(GOST, "individual_entrepreneur"), signing_time=now)
    result = verify_cms(signature, data=DOC, trust=store, policy=VerificationPolicy(), now=now)
    if revoked:
        assert result.codes == {ReasonCode.CERTIFICATE_REVOKED}
    else:
        assert result.valid, result.reasons
        assert result.revocation is RevocationStatus.GOOD
