"""Kazakh electronic digital signatures (ЭЦП НУЦ РК): verify and make CMS signatures, RSA and GOST.

Public API (stable; everything else is internal):

- :func:`verify_cms` — verify a CMS SignedData (attached or detached) against a :class:`TrustStore`
  and a :class:`VerificationPolicy`; returns a :class:`VerificationResult` with ``valid``,
  ``signer`` (:class:`SignerInfo`), times, chain, revocation and ``reasons`` (stable codes).
  It never raises for a bad signature, only for caller mistakes (:class:`EdsError`).
- :func:`parse_kz_certificate` — the NCA RK profile of a certificate (IIN, BIN, purpose, roles).
- :func:`validate_iin`, :func:`validate_bin` — format and check digit, clear errors.
- Signing (development side): :class:`Signer`, :class:`RsaFileSigner`, :class:`GostFileSigner`,
  :func:`load_signer`, :func:`sign_detached`, :func:`sign_attached` (optionally time-stamped).
- Trust: :class:`TrustStore` (roots, intermediates, CRLs from files or URLs through a
  :class:`Fetcher`, :class:`OcspResponder`), :class:`HttpFetcher` for deployments.
- Development PKI: :func:`generate_dev_pki` / :class:`DevPki` (``permitchain pki init DIR``) and the
  RFC 3161 :class:`TimeStampAuthority`; :func:`remote_timestamper` stamps through a real TSA (NCA TSP).

Typical service use::

    trust = TrustStore.from_files([root_rsa, root_gost], crls=[crl_rsa, crl_gost])
    policy = VerificationPolicy(expected_bin=application.bin, require_right_to_sign=True)
    result = verify_cms(signature_der, data=document_bytes, trust=trust, policy=policy, now=now)
    if not result.valid: ...  # result.reasons: [Reason(code=ReasonCode.X, message="...")]
"""

from __future__ import annotations

from kz_eds.cms_verification import verify_cms
from kz_eds.dev_pki import DevPki, generate_dev_pki
from kz_eds.exceptions import (
    CertificateParseError,
    EdsConfigError,
    EdsError,
    IdentifierError,
    KeyLoadError,
    SigningError,
    TimestampError,
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
from kz_eds.signing import (
    GostFileSigner,
    RsaFileSigner,
    Signer,
    Timestamper,
    load_signer,
    sign_attached,
    sign_cms,
    sign_detached,
)
from kz_eds.trust import Fetcher, HttpFetcher, OcspResponder, TrustStore
from kz_eds.tsa import TimeStampAuthority, remote_timestamper

__all__ = [
    "Algorithm",
    "CertificateParseError",
    "DevPki",
    "EdsConfigError",
    "EdsError",
    "Fetcher",
    "GostFileSigner",
    "HttpFetcher",
    "IdentifierError",
    "KeyLoadError",
    "KzCertificateProfile",
    "OcspResponder",
    "Purpose",
    "Reason",
    "ReasonCode",
    "RevocationStatus",
    "RsaFileSigner",
    "Signer",
    "SignerInfo",
    "SigningError",
    "TimeStampAuthority",
    "TimestampError",
    "Timestamper",
    "TrustStore",
    "VerificationPolicy",
    "VerificationResult",
    "generate_dev_pki",
    "is_valid_bin",
    "is_valid_iin",
    "load_signer",
    "parse_kz_certificate",
    "remote_timestamper",
    "sign_attached",
    "sign_cms",
    "sign_detached",
    "validate_bin",
    "validate_iin",
    "verify_cms",
]
