"""Was the signer's certificate revoked, and when? CRLs (signature and freshness checked) and OCSP.

The question asked is "revoked at the time of signing": a certificate revoked *after* a proven
signing time does not spoil the signature. OCSP is asked first when a responder is configured for
the issuing CA; a definite answer wins, otherwise the CRLs decide. A CRL counts only if its issuer's
key signed it and it is current at the verification time (``thisUpdate <= now <= nextUpdate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass, field

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp, x509

from kz_eds import oids
from kz_eds.certificates import fingerprint, name_text, public_key_of
from kz_eds.exceptions import EdsConfigError, FetchError
from kz_eds.gost import public_key_info_parts
from kz_eds.path_validation import signed_by
from kz_eds.results import RevocationStatus
from kz_eds.signatures import verify_signature
from kz_eds.trust import OcspResponder, TrustStore

_CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_OCSP_RESPONSE_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RevocationCheck:
    """Outcome for one certificate: status, revocation time when revoked, source, and problems met."""

    status: RevocationStatus
    revoked_at: dt.datetime | None = None
    source: str | None = None
    problems: tuple[str, ...] = field(default=())


class _CrlFacts:
    """Per-CRL results worth keeping: the signature verdict per issuer and the revoked-serial index.

    NCA CRLs run to many megabytes; re-walking them for every document would dominate verification.
    Keys are SHA-256 digests of the DER, so the cache holds facts, not copies of the lists.
    """

    def __init__(self, capacity: int = 32) -> None:
        self._capacity = capacity
        self._signed: dict[tuple[bytes, bytes], bool] = {}
        self._index: dict[bytes, dict[int, dt.datetime | None]] = {}
        self._lock = threading.Lock()

    def signed_by(self, crl: asn1_crl.CertificateList, issuer: x509.Certificate) -> bool:
        key = (hashlib.sha256(crl.dump()).digest(), hashlib.sha256(issuer.dump()).digest())
        with self._lock:
            if key in self._signed:
                return self._signed[key]
        verdict = _verify_crl_signature(crl, issuer)
        with self._lock:
            if len(self._signed) >= self._capacity:
                self._signed.pop(next(iter(self._signed)))
            self._signed[key] = verdict
        return verdict

    def revoked(self, crl: asn1_crl.CertificateList) -> dict[int, dt.datetime | None]:
        key = hashlib.sha256(crl.dump()).digest()
        with self._lock:
            found = self._index.get(key)
        if found is not None:
            return found
        index = {
            entry["user_certificate"].native: entry["revocation_date"].native
            for entry in crl["tbs_cert_list"]["revoked_certificates"]
        }
        with self._lock:
            if len(self._index) >= self._capacity:
                self._index.pop(next(iter(self._index)))
            self._index[key] = index
        return index

    def clear(self) -> None:
        with self._lock:
            self._signed.clear()
            self._index.clear()


CRL_FACTS = _CrlFacts()


def _crl_signed_by(crl: asn1_crl.CertificateList, issuer: x509.Certificate) -> bool:
    return CRL_FACTS.signed_by(crl, issuer)


def _verify_crl_signature(crl: asn1_crl.CertificateList, issuer: x509.Certificate) -> bool:
    usage = issuer.key_usage_value
    if usage is not None and "crl_sign" not in usage.native:
        return False
    try:
        key = public_key_of(issuer)
    except ValueError:
        return False
    algorithm = crl["signature_algorithm"]["algorithm"].dotted
    return verify_signature(key, algorithm, crl["tbs_cert_list"].dump(), bytes(crl["signature"].native))


def check_crls(
    cert: x509.Certificate, issuer: x509.Certificate, trust: TrustStore, *, now: dt.datetime
) -> RevocationCheck:
    crls, problems = trust.crls(now=now)
    usable: list[asn1_crl.CertificateList] = []
    for crl in crls:
        tbs = crl["tbs_cert_list"]
        if tbs["issuer"] != issuer.subject:
            continue
        if not _crl_signed_by(crl, issuer):
            problems.append(f"a CRL of {name_text(issuer.subject)} has a signature that does not verify")
            continue
        this_update, next_update = tbs["this_update"].native, tbs["next_update"].native
        if this_update > now + _CLOCK_SKEW:
            problems.append(
                f"a CRL of {name_text(issuer.subject)} is dated in the future ({this_update.isoformat()})"
            )
            continue
        if next_update is not None and next_update < now:
            problems.append(
                f"the CRL of {name_text(issuer.subject)} is stale (next update was {next_update.isoformat()})"
            )
            continue
        usable.append(crl)
    if not usable:
        if not problems:
            problems.append(f"no CRL of {name_text(issuer.subject)} is configured")
        return RevocationCheck(RevocationStatus.UNKNOWN, problems=tuple(problems))
    serial = cert.serial_number
    for crl in usable:
        index = CRL_FACTS.revoked(crl)
        if serial in index:
            return RevocationCheck(
                RevocationStatus.REVOKED, revoked_at=index[serial], source="crl", problems=tuple(problems)
            )
    return RevocationCheck(RevocationStatus.GOOD, source="crl", problems=tuple(problems))


def _cert_id(cert: x509.Certificate, issuer: x509.Certificate) -> ocsp.CertId:
    _, key_bits = public_key_info_parts(issuer["tbs_certificate"]["subject_public_key_info"].dump())
    return ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": "sha256"},
            "issuer_name_hash": hashlib.sha256(issuer.subject.dump()).digest(),
            "issuer_key_hash": hashlib.sha256(key_bits).digest(),
            "serial_number": cert.serial_number,
        }
    )


def ocsp_request(cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None = None) -> bytes:
    """A DER OCSPRequest for one certificate (SHA-256 CertID, optional nonce)."""
    tbs: dict[str, object] = {"request_list": [{"req_cert": _cert_id(cert, issuer)}]}
    if nonce is not None:
        tbs["request_extensions"] = [{"extn_id": "nonce", "extn_value": nonce}]
    der: bytes = ocsp.OCSPRequest({"tbs_request": tbs}).dump()
    return der


def _responder_ok(signer: x509.Certificate, responder: OcspResponder) -> bool:
    if fingerprint(signer) == fingerprint(responder.issuer):
        return True
    if responder.responder_certificate is not None and fingerprint(signer) == fingerprint(
        responder.responder_certificate
    ):
        return True
    eku = signer.extended_key_usage_value
    delegated = eku is not None and oids.EKU_OCSP_SIGNING in [p.dotted for p in eku]
    return delegated and signed_by(signer, responder.issuer)


def _responder_candidates(basic: ocsp.BasicOCSPResponse, responder: OcspResponder) -> list[x509.Certificate]:
    found = [responder.issuer]
    if responder.responder_certificate is not None:
        found.append(responder.responder_certificate)
    found.extend(basic["certs"] or [])
    return found


def check_ocsp(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    responder: OcspResponder,
    trust: TrustStore,
    *,
    now: dt.datetime,
) -> RevocationCheck:
    """Ask the responder; any doubt (transport, signature, mismatch, staleness) is UNKNOWN with a problem."""
    if trust.fetcher is None:  # pragma: no cover - TrustStore refuses responders without a fetcher
        raise EdsConfigError("OCSP needs a fetcher")
    nonce = os.urandom(16)
    try:
        raw = trust.fetcher(
            responder.url,
            body=ocsp_request(cert, issuer, nonce=nonce),
            content_type="application/ocsp-request",
        )
    except FetchError as exc:
        return RevocationCheck(RevocationStatus.UNKNOWN, problems=(f"OCSP: {exc.message}",))
    except (OSError, ValueError) as exc:  # a fetcher outside our contract: still only "unknown"
        return RevocationCheck(RevocationStatus.UNKNOWN, problems=(f"OCSP: fetch failed ({exc})",))
    problem = "OCSP: "
    try:
        if len(raw) > MAX_OCSP_RESPONSE_BYTES:
            return RevocationCheck(RevocationStatus.UNKNOWN, problems=(problem + "response too large",))
        response = ocsp.OCSPResponse.load(raw)
        if response["response_status"].native != "successful":
            return RevocationCheck(
                RevocationStatus.UNKNOWN,
                problems=(problem + f"responder said {response['response_status'].native}",),
            )
        basic = response["response_bytes"]["response"].parsed
        tbs = basic["tbs_response_data"]
        algorithm = basic["signature_algorithm"]["algorithm"].dotted
        signature = bytes(basic["signature"].native)
        signer_ok = False
        for candidate in _responder_candidates(basic, responder):
            try:
                key = public_key_of(candidate)
            except ValueError:
                continue
            if verify_signature(key, algorithm, tbs.dump(), signature) and _responder_ok(
                candidate, responder
            ):
                signer_ok = True
                break
        if not signer_ok:
            return RevocationCheck(
                RevocationStatus.UNKNOWN, problems=(problem + "response signature not trusted",)
            )
        wanted = _cert_id(cert, issuer)
        for single in tbs["responses"]:
            cert_id = single["cert_id"]
            if cert_id["serial_number"].native != cert.serial_number:
                continue
            if cert_id["hash_algorithm"]["algorithm"].native == "sha256" and (
                cert_id["issuer_name_hash"].native != wanted["issuer_name_hash"].native
                or cert_id["issuer_key_hash"].native != wanted["issuer_key_hash"].native
            ):
                continue
            this_update, next_update = single["this_update"].native, single["next_update"].native
            if this_update > now + _CLOCK_SKEW or (next_update is not None and next_update < now):
                return RevocationCheck(
                    RevocationStatus.UNKNOWN, problems=(problem + "response is not current",)
                )
            status = single["cert_status"]
            if status.name == "good":
                return RevocationCheck(RevocationStatus.GOOD, source="ocsp")
            if status.name == "revoked":
                return RevocationCheck(
                    RevocationStatus.REVOKED,
                    revoked_at=status.chosen["revocation_time"].native,
                    source="ocsp",
                )
            return RevocationCheck(
                RevocationStatus.UNKNOWN, problems=(problem + "responder does not know the certificate",)
            )
        return RevocationCheck(
            RevocationStatus.UNKNOWN, problems=(problem + "no answer for this certificate",)
        )
    except (ValueError, TypeError, KeyError) as exc:
        return RevocationCheck(RevocationStatus.UNKNOWN, problems=(problem + f"malformed response ({exc})",))


def check_revocation(
    cert: x509.Certificate, issuer: x509.Certificate, trust: TrustStore, *, now: dt.datetime
) -> RevocationCheck:
    """OCSP first (when configured for this issuer), then CRLs."""
    problems: tuple[str, ...] = ()
    responder = trust.responder_for(issuer)
    if responder is not None:
        answer = check_ocsp(cert, issuer, responder, trust, now=now)
        if answer.status is not RevocationStatus.UNKNOWN:
            return answer
        problems = answer.problems
    by_crl = check_crls(cert, issuer, trust, now=now)
    return RevocationCheck(by_crl.status, by_crl.revoked_at, by_crl.source, problems + by_crl.problems)
