"""Kazakh electronic digital signatures (ЭЦП НУЦ РК): verify and make CMS signatures, RSA and GOST.

Public API (stable; everything else is internal):

- :func:`verify_cms` — verify a CMS SignedData (attached or detached) against a :class:`TrustStore`
  and a :class:`VerificationPolicy`; returns a :class:`VerificationResult` with ``valid``,
  ``signer`` (:class:`SignerInfo`), times, chain, revocation and ``reasons`` (stable codes).
  It never raises for a bad signature, only for caller mistakes (:class:`EdsError`).
- :func:`parse_kz_certificate` — the NCA RK profile of a certificate (IIN, BIN, purpose, roles).
- :func:`validate_iin`, :func:`validate_bin` — format and check digit, clear errors.
- Signing (development side): :class:`Signer`, :class:`RsaFileSigner`, :class:`GostFileSigner`,
  :func:`sign_detached`, :func:`sign_attached`.
"""

from __future__ import annotations

from kz_eds.exceptions import (
    CertificateParseError,
    EdsConfigError,
    EdsError,
    IdentifierError,
    KeyLoadError,
    SigningError,
)
from kz_eds.identifiers import is_valid_bin, is_valid_iin, validate_bin, validate_iin
from kz_eds.policy import VerificationPolicy
from kz_eds.profile import KzCertificateProfile, parse_kz_certificate
from kz_eds.results import (
    Algorithm,
    Purpose,
    Reason,
    ReasonCode,
    RevocationStatus,
    SignerInfo,
    VerificationResult,
)

__all__ = [
    "Algorithm",
    "CertificateParseError",
    "EdsConfigError",
    "EdsError",
    "IdentifierError",
    "KeyLoadError",
    "KzCertificateProfile",
    "Purpose",
    "Reason",
    "ReasonCode",
    "RevocationStatus",
    "SignerInfo",
    "SigningError",
    "VerificationPolicy",
    "VerificationResult",
    "is_valid_bin",
    "is_valid_iin",
    "parse_kz_certificate",
    "validate_bin",
    "validate_iin",
]
