"""Verifying CMS SignedData the way an NCA RK verifier does, without ever raising for a bad signature.

Order of checks: parse (size cap first), find the signer certificate, check the signed attributes
(content type, message digest, ESS signing certificate) and the signature over them, then the
time-stamp token if present (its own signature, chain, and that it covers this signature value), then
the certificate path and revocation *at the proven signing time*, then the Kazakh profile checks the
policy asks for. Every failure adds a :class:`~kz_eds.results.Reason`; the caller gets them all.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from asn1crypto import cms, core, pem, x509

from kz_eds import oids
from kz_eds.certificates import PublicKey, key_algorithm_oid, public_key_of
from kz_eds.exceptions import CertificateParseError, EdsConfigError
from kz_eds.identifiers import has_valid_check_digit
from kz_eds.path_validation import validate_path
from kz_eds.policy import VerificationPolicy
from kz_eds.profile import KzCertificateProfile, profile_of
from kz_eds.results import Reason, ReasonCode, RevocationStatus, SignerInfo, VerificationResult
from kz_eds.revocation import check_revocation
from kz_eds.signatures import SUPPORTED_DIGESTS, digest, verify_signature
from kz_eds.trust import TrustStore

_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
_EXPECTED_DIGEST = {True: oids.KZ_STREEBOG_512, False: oids.SHA256}
# Hostile input bounds: every signer and every candidate issuer may cost a GOST check (~0.1 s).
MAX_SIGNERS = 8
MAX_CMS_CERTIFICATES = 50
_IDENTITY_CODES = frozenset({ReasonCode.IIN_MISMATCH, ReasonCode.BIN_MISMATCH, ReasonCode.NO_RIGHT_TO_SIGN})


class _Malformed(Exception):
    """Internal: the input is not well-formed CMS; becomes a MALFORMED_CMS reason."""


def _decode_input(raw: bytes) -> bytes:
    """Accept DER, PEM (CMS/PKCS7) or base64 text, as NCALayer and e-government hand them out."""
    stripped = raw.strip()
    if stripped[:1] == b"\x30":
        return raw
    if pem.detect(stripped):
        return bytes(pem.unarmor(stripped)[2])
    try:
        return base64.b64decode(b"".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Malformed("neither DER, PEM nor base64") from exc


def _certificates(signed_data: cms.SignedData) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            found.append(choice.chosen)
    return found


def _find_signer(
    signer_info: cms.SignerInfo, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            value = sid.chosen
            if cert.serial_number == value["serial_number"].native and cert.issuer == value["issuer"]:
                return cert
        elif sid.name == "subject_key_identifier":
            ski = cert.key_identifier_value
            if ski is not None and ski.native == sid.chosen.native:
                return cert
    return None


def _attribute(attrs: cms.CMSAttributes, oid: str) -> list[object] | None:
    for attr in attrs:
        if attr["type"].dotted == oid:
            return list(attr["values"])
    return None


@dataclass(slots=True)
class _SignerCheck:
    certificate: x509.Certificate | None = None
    reasons: list[Reason] = field(default_factory=list)
    signing_time: dt.datetime | None = None
    signature: bytes = b""
    is_gost: bool = False


def _check_signer_info(
    signed_data: cms.SignedData,
    signer_info: cms.SignerInfo,
    content: bytes,
    extra: Sequence[x509.Certificate],
    *,
    expected_content_type: str,
) -> _SignerCheck:
    """Signer certificate, algorithms, signed attributes and the signature itself."""
    check = _SignerCheck()
    cert = _find_signer(signer_info, [*_certificates(signed_data), *extra])
    if cert is None:
        check.reasons.append(
            Reason(
                ReasonCode.SIGNER_CERTIFICATE_MISSING,
                "the signer's certificate is neither in the signature nor configured",
            )
        )
        return check
    check.certificate = cert
    check.signature = bytes(signer_info["signature"].native)
    try:
        key = public_key_of(cert)
    except ValueError:
        check.reasons.append(
            Reason(
                ReasonCode.UNSUPPORTED_ALGORITHM,
                f"the signer's key algorithm {key_algorithm_oid(cert)} is not supported",
            )
        )
        return check
    check.is_gost = key_algorithm_oid(cert) in oids.GOST_KEY_OIDS
    digest_oid = signer_info["digest_algorithm"]["algorithm"].dotted
    if digest_oid not in SUPPORTED_DIGESTS or digest_oid != _EXPECTED_DIGEST[check.is_gost]:
        check.reasons.append(
            Reason(
                ReasonCode.UNSUPPORTED_ALGORITHM,
                f"digest {digest_oid} does not fit the signer's key (RSA: SHA-256, GOST: Streebog-512)",
            )
        )
        return check
    signed_attrs = signer_info["signed_attrs"]
    if not signed_attrs or len(signed_attrs) == 0:
        check.reasons.append(
            Reason(
                ReasonCode.SIGNED_ATTRIBUTES_MISSING,
                "the signature has no signed attributes (content type, digest, time)",
            )
        )
        return check
    content_type = _attribute(signed_attrs, oids.ATTR_CONTENT_TYPE)
    if not content_type or content_type[0].dotted != expected_content_type:  # type: ignore[attr-defined]
        check.reasons.append(
            Reason(
                ReasonCode.CONTENT_TYPE_MISMATCH,
                "the content-type attribute does not match the signed content",
            )
        )
    message_digest = _attribute(signed_attrs, oids.ATTR_MESSAGE_DIGEST)
    if not message_digest or bytes(message_digest[0].native) != digest(digest_oid, content):  # type: ignore[attr-defined]
        check.reasons.append(
            Reason(
                ReasonCode.MESSAGE_DIGEST_MISMATCH,
                "the document does not match the digest in the signature (altered or wrong file)",
            )
        )
    signing_time = _attribute(signed_attrs, oids.ATTR_SIGNING_TIME)
    if signing_time:
        check.signing_time = signing_time[0].native  # type: ignore[attr-defined]
    ess = _attribute(signed_attrs, oids.ATTR_SIGNING_CERTIFICATE_V2)
    if ess:
        ids = ess[0]["certs"]  # type: ignore[index]
        if ids:
            first = ids[0]
            algorithm = first["hash_algorithm"]["algorithm"].dotted
            try:
                matches = bytes(first["cert_hash"].native) == digest(algorithm, cert.dump())
            except ValueError:
                matches = False
            if not matches:
                check.reasons.append(
                    Reason(
                        ReasonCode.SIGNING_CERTIFICATE_MISMATCH,
                        "the signing-certificate attribute names another certificate",
                    )
                )
    signature_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    if not _attributes_signed(key, signature_oid, signed_attrs.dump(), check.signature):
        check.reasons.append(
            Reason(ReasonCode.SIGNATURE_INVALID, "the signature value does not verify with the signer's key")
        )
    return check


def _attributes_signed(key: PublicKey, signature_oid: str, tagged: bytes, signature: bytes) -> bool:
    """The signature covers the DER of the SET OF attributes (RFC 5652 5.4).

    The attributes as received are tried first; a streaming encoder may have sent them with
    indefinite lengths, so their DER re-encoding is tried when it differs.
    """
    as_received = b"\x31" + tagged[1:]
    if verify_signature(key, signature_oid, as_received, signature):
        return True
    canonical: bytes = cms.CMSAttributes.load(as_received).dump(force=True)
    return canonical != as_received and verify_signature(key, signature_oid, canonical, signature)


@dataclass(frozen=True, slots=True)
class _TimestampCheck:
    time: dt.datetime | None
    reasons: tuple[Reason, ...]


def _check_timestamp(
    token: cms.ContentInfo, signature: bytes, trust: TrustStore, policy: VerificationPolicy, now: dt.datetime
) -> _TimestampCheck:
    def fail(code: ReasonCode, message: str) -> _TimestampCheck:
        return _TimestampCheck(None, (Reason(code, message),))

    if token["content_type"].native != "signed_data":
        return fail(ReasonCode.TIMESTAMP_INVALID, "the time-stamp token is not SignedData")
    signed_data = token["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != oids.TST_INFO or encap["content"].native is None:
        return fail(ReasonCode.TIMESTAMP_INVALID, "the time-stamp token carries no TSTInfo")
    tst_der = bytes(encap["content"])
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        return fail(ReasonCode.TIMESTAMP_INVALID, "the time-stamp token must have exactly one signer")
    check = _check_signer_info(
        signed_data, signer_infos[0], tst_der, trust.intermediates, expected_content_type=oids.TST_INFO
    )
    if check.reasons or check.certificate is None:
        detail = "; ".join(r.message for r in check.reasons)
        return fail(
            ReasonCode.TIMESTAMP_INVALID, f"the time-stamp token's own signature is invalid: {detail}"
        )
    tsa_cert = check.certificate
    eku = tsa_cert.extended_key_usage_value
    if eku is None or oids.EKU_TIME_STAMPING not in [p.dotted for p in eku]:
        return fail(
            ReasonCode.TIMESTAMP_UNTRUSTED, "the time-stamp was not made by a time-stamping certificate"
        )
    tst_info = encap["content"].parsed
    gen_time: dt.datetime = tst_info["gen_time"].native
    imprint = tst_info["message_imprint"]
    imprint_oid = imprint["hash_algorithm"]["algorithm"].dotted
    try:
        covers = bytes(imprint["hashed_message"].native) == digest(imprint_oid, signature)
    except ValueError:
        covers = False
    if not covers:
        return fail(
            ReasonCode.TIMESTAMP_IMPRINT_MISMATCH, "the time-stamp does not cover this signature value"
        )
    path = validate_path(
        tsa_cert,
        trust=trust,
        extra_certificates=_certificates(signed_data),
        at=gen_time,
        max_depth=policy.max_chain_depth,
    )
    if not path.trusted:
        detail = "; ".join(r.message for r in path.reasons)
        return fail(ReasonCode.TIMESTAMP_UNTRUSTED, f"the time-stamping authority is not trusted: {detail}")
    if len(path.chain) >= 2:
        # A TSA revoked before it stamped proves nothing; an unknown status is tolerated (the NCA TSA
        # is long-lived and its CRL is not always configured), a definite revocation is not.
        tsa_status = check_revocation(tsa_cert, path.chain[1], trust, now=now)
        revoked_at = tsa_status.revoked_at
        if tsa_status.status is RevocationStatus.REVOKED and (revoked_at is None or revoked_at <= gen_time):
            return fail(
                ReasonCode.TIMESTAMP_UNTRUSTED, "the time-stamping authority's certificate was revoked"
            )
    if gen_time > now + policy.max_clock_skew:
        return fail(
            ReasonCode.TIMESTAMP_INVALID, f"the time-stamp is dated in the future ({gen_time.isoformat()})"
        )
    return _TimestampCheck(gen_time, ())


def _profile_reasons(profile: KzCertificateProfile, policy: VerificationPolicy) -> list[Reason]:
    reasons: list[Reason] = []
    if not profile.key_usage & {"digital_signature", "non_repudiation"}:
        reasons.append(
            Reason(
                ReasonCode.KEY_USAGE_INVALID,
                "the signer's certificate is not allowed to make signatures (keyUsage)",
            )
        )
    if policy.require_signing_purpose and profile.purpose != "signing":
        reasons.append(
            Reason(
                ReasonCode.NOT_SIGNING_CERTIFICATE,
                f"the document was signed with an {profile.purpose} certificate; "
                "a signing (ЭЦП) certificate is required",
            )
        )
    if not policy.accept_test_pki_identifiers:
        for kind, value in (("IIN", profile.iin), ("BIN", profile.bin)):
            if value is not None and not has_valid_check_digit(value):
                reasons.append(
                    Reason(
                        ReasonCode.IDENTIFIER_INVALID,
                        f"the certificate's {kind} {value} fails the check digit (test PKI?)",
                    )
                )
    if policy.expected_iin is not None and profile.iin != policy.expected_iin:
        reasons.append(
            Reason(
                ReasonCode.IIN_MISMATCH,
                f"signed by IIN {profile.iin or '(none)'}, expected IIN {policy.expected_iin}",
            )
        )
    if policy.expected_bin is not None and profile.bin != policy.expected_bin:
        reasons.append(
            Reason(
                ReasonCode.BIN_MISMATCH,
                f"signed for BIN {profile.bin or '(none)'}, expected BIN {policy.expected_bin}",
            )
        )
    if policy.require_right_to_sign:
        if profile.bin is None:
            reasons.append(
                Reason(
                    ReasonCode.NO_RIGHT_TO_SIGN, "an individual's certificate cannot sign for a legal entity"
                )
            )
        elif not profile.may_sign_for_entity:
            roles = ", ".join(profile.roles) or "none"
            reasons.append(
                Reason(
                    ReasonCode.NO_RIGHT_TO_SIGN,
                    f"the signer is neither the first head nor entitled to sign for BIN {profile.bin} "
                    f"(roles: {roles})",
                )
            )
    return reasons


def _signer_info(profile: KzCertificateProfile) -> SignerInfo:
    return SignerInfo(
        iin=profile.iin,
        bin=profile.bin,
        organisation=profile.organisation,
        common_name=profile.common_name,
        surname=profile.surname,
        given_name=profile.given_name,
        purpose=profile.purpose,
        roles=profile.roles,
        algorithm=profile.algorithm,
        certificate_serial=profile.serial_number,
        subject=profile.subject,
        issuer=profile.issuer,
    )


def _fail(code: ReasonCode, message: str) -> VerificationResult:
    return VerificationResult(
        signer=None,
        signing_time=None,
        timestamp_time=None,
        chain=(),
        revocation=RevocationStatus.NOT_CHECKED,
        reasons=(Reason(code, message),),
    )


def verify_cms(
    signature: bytes,
    *,
    data: bytes | None,
    trust: TrustStore,
    policy: VerificationPolicy,
    now: dt.datetime,
) -> VerificationResult:
    """Verify a CMS SignedData (attached when ``data`` is None, detached otherwise).

    Never raises for a bad, hostile or malformed signature: those come back as reasons. Raises
    :class:`~kz_eds.exceptions.EdsConfigError` only for caller mistakes (naive ``now``, wrong types).
    """
    if not isinstance(signature, bytes) or (data is not None and not isinstance(data, bytes)):
        raise EdsConfigError("signature and data must be bytes")
    if now.tzinfo is None:
        raise EdsConfigError("now must be a timezone-aware datetime")
    if len(signature) > policy.max_input_bytes or (data is not None and len(data) > policy.max_input_bytes):
        return _fail(ReasonCode.INPUT_TOO_LARGE, f"input exceeds the {policy.max_input_bytes}-byte limit")
    try:
        return _verify(signature, data=data, trust=trust, policy=policy, now=now)
    except (_Malformed, CertificateParseError, *_PARSE_ERRORS) as exc:
        return _fail(
            ReasonCode.MALFORMED_CMS,
            f"the signature is not well-formed CMS ({type(exc).__name__}: {exc})"[:300],
        )


def _verify(
    raw: bytes, *, data: bytes | None, trust: TrustStore, policy: VerificationPolicy, now: dt.datetime
) -> VerificationResult:
    der = _decode_input(raw)
    if len(der) > policy.max_input_bytes:
        return _fail(ReasonCode.INPUT_TOO_LARGE, f"input exceeds the {policy.max_input_bytes}-byte limit")
    content_info = cms.ContentInfo.load(der, strict=True)
    if content_info["content_type"].native != "signed_data":
        return _fail(ReasonCode.NOT_SIGNED_DATA, "the input is CMS but not SignedData")
    signed_data = content_info["content"]
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) == 0:
        return _fail(ReasonCode.NO_SIGNER, "the SignedData has no signer")
    if len(signer_infos) > MAX_SIGNERS:
        return _fail(ReasonCode.INPUT_TOO_LARGE, f"more than {MAX_SIGNERS} signers in one signature")
    if len(signed_data["certificates"] or []) > MAX_CMS_CERTIFICATES:
        return _fail(
            ReasonCode.INPUT_TOO_LARGE, f"more than {MAX_CMS_CERTIFICATES} certificates in one signature"
        )
    encap = signed_data["encap_content_info"]
    embedded = encap["content"]
    # bytes() joins a BER constructed OCTET STRING (KalkanCrypt streams); .contents would not
    embedded_bytes = bytes(embedded) if not isinstance(embedded, core.Void) else None
    if embedded_bytes is not None and data is not None and embedded_bytes != data:
        return _fail(
            ReasonCode.CONTENT_CONFLICT, "the signature carries a document different from the one given"
        )
    content = data if data is not None else embedded_bytes
    if content is None:
        return _fail(ReasonCode.CONTENT_MISSING, "detached signature: the signed document must be given")

    uses_streebog = any(
        info["digest_algorithm"]["algorithm"].dotted in oids.STREEBOG_512_OIDS for info in signer_infos
    )
    if uses_streebog and len(content) > policy.max_gost_content_bytes:
        return _fail(
            ReasonCode.INPUT_TOO_LARGE,
            f"GOST-signed content is limited to {policy.max_gost_content_bytes} bytes "
            "(Streebog-512 runs in pure Python)",
        )
    verdicts = [
        _verify_signer(signed_data, info, content, trust=trust, policy=policy, now=now)
        for info in signer_infos
    ]
    # Co-signed documents: every signature must be genuine, trusted, unrevoked and of the right
    # purpose; the identity requirements (expected IIN/BIN, right to sign) need one signer meeting
    # them, who is reported as ``signer``. (SET OF order is not meaningful, so "first" is not used.)
    chosen = next((v for v in verdicts if v.valid), verdicts[0])
    reasons = list(chosen.reasons)
    for number, verdict in enumerate(verdicts, start=1):
        if verdict is chosen:
            continue
        reasons.extend(
            Reason(r.code, f"co-signer {number}: {r.message}")
            for r in verdict.reasons
            if r.code not in _IDENTITY_CODES
        )
    return replace(chosen, reasons=tuple(reasons), content=content if data is None else None)


def _verify_signer(
    signed_data: cms.SignedData,
    signer_info: cms.SignerInfo,
    content: bytes,
    *,
    trust: TrustStore,
    policy: VerificationPolicy,
    now: dt.datetime,
) -> VerificationResult:
    """One signer's verdict (a SignedData may carry co-signatures; each must hold)."""
    encap = signed_data["encap_content_info"]
    check = _check_signer_info(
        signed_data,
        signer_info,
        content,
        trust.intermediates,
        expected_content_type=encap["content_type"].dotted,
    )
    reasons = list(check.reasons)
    cert = check.certificate
    if cert is None:
        return VerificationResult(None, None, None, (), RevocationStatus.NOT_CHECKED, tuple(reasons))
    profile = profile_of(cert)

    timestamp_time: dt.datetime | None = None
    unsigned = signer_info["unsigned_attrs"]
    present = not isinstance(unsigned, core.Void)  # .native would parse (and choke on) GOST keys inside
    tokens = _attribute(unsigned, oids.ATTR_SIGNATURE_TIME_STAMP_TOKEN) if present else None
    if tokens:
        stamp = _check_timestamp(tokens[0], check.signature, trust, policy, now)
        reasons.extend(stamp.reasons)
        timestamp_time = stamp.time

    if timestamp_time is not None:
        at = timestamp_time
    elif check.signing_time is not None:
        at = check.signing_time
        if not policy.allow_signing_time_without_tsp:
            reasons.append(
                Reason(
                    ReasonCode.SIGNING_TIME_UNPROVEN,
                    "the signing time is only claimed by the signer; a time-stamp is required",
                )
            )
    else:
        at = now
        if not policy.allow_signing_time_without_tsp:
            reasons.append(
                Reason(
                    ReasonCode.SIGNING_TIME_MISSING,
                    "the signature has neither a signing time nor a time-stamp",
                )
            )
    if at > now + policy.max_clock_skew:
        reasons.append(
            Reason(ReasonCode.SIGNING_TIME_IN_FUTURE, f"the signing time {at.isoformat()} is in the future")
        )

    path = validate_path(
        cert,
        trust=trust,
        extra_certificates=_certificates(signed_data),
        at=at,
        max_depth=policy.max_chain_depth,
    )
    reasons.extend(path.reasons)
    revocation = RevocationStatus.NOT_CHECKED
    if len(path.chain) >= 2 and not any(
        r.code in (ReasonCode.CHAIN_UNTRUSTED, ReasonCode.CHAIN_SIGNATURE_INVALID) for r in path.reasons
    ):
        revocation = _revocation(
            path.chain, trust=trust, policy=policy, now=now, timestamp_time=timestamp_time, reasons=reasons
        )
    elif len(path.chain) == 1 and trust.is_trusted_root(cert):
        reasons.append(
            Reason(ReasonCode.CA_CONSTRAINTS_VIOLATED, "a trusted root certificate cannot sign documents")
        )

    reasons.extend(_profile_reasons(profile, policy))
    return VerificationResult(
        signer=_signer_info(profile),
        signing_time=check.signing_time,
        timestamp_time=timestamp_time,
        chain=path.subjects,
        revocation=revocation,
        reasons=tuple(_unique(reasons)),
    )


def _revocation(
    chain: Sequence[x509.Certificate],
    *,
    trust: TrustStore,
    policy: VerificationPolicy,
    now: dt.datetime,
    timestamp_time: dt.datetime | None,
    reasons: list[Reason],
) -> RevocationStatus:
    leaf_check = check_revocation(chain[0], chain[1], trust, now=now)
    status = leaf_check.status
    if status is RevocationStatus.REVOKED:
        revoked_at = leaf_check.revoked_at
        if timestamp_time is not None and revoked_at is not None and revoked_at > timestamp_time:
            status = RevocationStatus.REVOKED_AFTER_SIGNING
        else:
            when = revoked_at.isoformat() if revoked_at else "an unknown time"
            proof = (
                "before the time-stamp"
                if timestamp_time
                else "and no time-stamp proves an earlier signing time"
            )
            reasons.append(
                Reason(
                    ReasonCode.CERTIFICATE_REVOKED, f"the signer's certificate was revoked at {when}, {proof}"
                )
            )
    elif status is RevocationStatus.UNKNOWN and policy.require_revocation_check:
        reasons.append(
            Reason(
                ReasonCode.REVOCATION_UNKNOWN,
                "revocation could not be checked: " + "; ".join(leaf_check.problems),
            )
        )
    # CA certificates: a definite "revoked" from an available CRL/OCSP spoils the chain.
    for index in range(1, len(chain) - 1):
        ca_check = check_revocation(chain[index], chain[index + 1], trust, now=now)
        if ca_check.status is RevocationStatus.REVOKED and (
            timestamp_time is None or ca_check.revoked_at is None or ca_check.revoked_at <= timestamp_time
        ):
            reasons.append(Reason(ReasonCode.CERTIFICATE_REVOKED, "a CA certificate in the chain is revoked"))
    return status


def _unique(reasons: Sequence[Reason]) -> list[Reason]:
    seen: set[tuple[str, str]] = set()
    out: list[Reason] = []
    for reason in reasons:
        key = (reason.code.value, reason.message)
        if key not in seen:
            seen.add(key)
            out.append(reason)
    return out
