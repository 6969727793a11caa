"""The ``signature`` check: a CMS by an official of the regulator's PKI, judged at signing time, where
the chain's anchor is the proof of when the signed document existed.

``kz_eds`` judges a signature at its signing time, but without a time-stamp a later revocation of the
certificate spoils it (a claimed signing time proves nothing). The anchor's block time is such a proof
for our permits: the registrar's transaction put the document's hash on chain then, so a certificate
revoked *after* the anchor leaves the permit valid, while one revoked *before* the anchor (a key used
after revocation, even with a back-dated signing time) does not. Everything else (chain to the trusted
roots, signing purpose, the regulator's BIN and right to sign) is ``kz_eds``'s own verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms, x509

from kz_eds import EdsError, ReasonCode, TrustStore, VerificationPolicy, verify_cms
from kz_eds.revocation import check_revocation
from registry_api.verification.report import Check, CheckCode, Outcome

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SignaturePolicy:
    """Whose signature makes a permit authentic: the regulator (BIN) per its trusted PKI."""

    trust: TrustStore | None
    regulator_bin: str
    accept_test_pki_identifiers: bool = False


def _leaf_revoked_at(
    signature: bytes, serial_hex: str, trust: TrustStore, now: dt.datetime
) -> dt.datetime | None:
    """When the signer's certificate was revoked, per the trust store's revocation sources."""
    try:
        signed = cms.ContentInfo.load(signature)["content"]
        certs = [c.chosen for c in signed["certificates"] or [] if isinstance(c.chosen, x509.Certificate)]
    except ValueError:
        return None
    leaf = next((c for c in certs if format(c.serial_number, "x") == serial_hex), None)
    if leaf is None:
        return None
    issuer = next((c for c in [*certs, *trust.intermediates, *trust.roots] if c.subject == leaf.issuer), None)
    if issuer is None:
        return None
    return check_revocation(leaf, issuer, trust, now=now).revoked_at


def judge_signature(
    signature: bytes | None,
    data: bytes | None,
    policy: SignaturePolicy,
    *,
    now: dt.datetime,
    anchored_at: dt.datetime | None,
) -> Check:
    code = CheckCode.SIGNATURE
    if signature is None or data is None:
        return Check(code, Outcome.UNKNOWN, "no signature (.p7s) was given with the document", "not_given")
    if policy.trust is None:
        return Check(code, Outcome.UNKNOWN, "no trusted root certificate is configured", "no_trust_roots")
    try:
        vp = VerificationPolicy(
            require_signing_purpose=True,
            expected_bin=policy.regulator_bin,
            require_right_to_sign=True,
            accept_test_pki_identifiers=policy.accept_test_pki_identifiers,
        )
        result = verify_cms(signature, data=data, trust=policy.trust, policy=vp, now=now)
    except EdsError as exc:
        return Check(code, Outcome.FAIL, exc.message, exc.code)
    reasons = list(result.reasons)
    details: dict[str, object] = {
        "signer": result.signer.as_json() if result.signer else None,
        "signing_time": result.signing_time.isoformat() if result.signing_time else None,
        "revocation": result.revocation.value,
    }
    claimed = result.timestamp_time or result.signing_time
    revoked = [r for r in reasons if r.code is ReasonCode.CERTIFICATE_REVOKED]
    if revoked and anchored_at is not None and result.signer is not None and claimed is not None:
        revoked_at = _leaf_revoked_at(signature, result.signer.certificate_serial, policy.trust, now)
        if revoked_at is not None:
            details["certificate_revoked_at"] = revoked_at.isoformat()
            signed_before_anchor = claimed <= anchored_at + CLOCK_SKEW
            if signed_before_anchor and revoked_at > anchored_at and len(revoked) == 1:
                reasons.remove(revoked[0])
                details["revocation"] = "revoked_after_anchoring"
            elif revoked_at <= anchored_at:
                reasons = [r for r in reasons if r not in revoked]
                return Check(
                    code,
                    Outcome.FAIL,
                    f"the signer's certificate was revoked on {revoked_at.isoformat()}, before the permit "
                    f"was anchored on {anchored_at.isoformat()}",
                    "certificate_revoked_before_anchor",
                    details,
                )
    if reasons:
        text = "; ".join(r.message for r in reasons)
        return Check(
            code, Outcome.FAIL, f"the signature is not valid: {text}", reasons[0].code.value, details
        )
    signer = result.signer
    who = f"{signer.common_name} (IIN {signer.iin}, BIN {signer.bin})" if signer else "the regulator"
    return Check(
        code, Outcome.PASS, f"signed by {who} with a certificate of the trusted PKI", "valid", details
    )
