"""Certificate path building and validation to a configured root, for RSA and GOST alike.

``cryptography.x509.verification`` cannot check GOST signatures, so the path is built here:
issuer/subject name match (narrowed by AKI/SKI when both exist), the issuer's signature over each
TBSCertificate, basicConstraints CA and pathLenConstraint, keyUsage keyCertSign, validity of every
certificate at the validation time (the proven signing time), and a depth limit. The first path that
reaches a trusted root with good signatures is judged; when none exists the reason says why.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from asn1crypto import x509

from kz_eds.certificates import authority_key_id, fingerprint, name_text, public_key_of, subject_key_id
from kz_eds.results import Reason, ReasonCode
from kz_eds.signatures import verify_signature
from kz_eds.trust import TrustStore


@dataclass(frozen=True, slots=True)
class PathResult:
    """The chain from the end-entity to the root (inclusive) and what is wrong with it, if anything."""

    chain: tuple[x509.Certificate, ...]
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def trusted(self) -> bool:
        return bool(self.chain) and not self.reasons

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(name_text(c.subject) for c in self.chain)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key made the signature on ``cert``.

    Cached by the two certificates' exact bytes: a GOST check costs ~0.1 s in pure Python and a
    service verifies the same NCA chain for every document.
    """
    return _signed_by_der(cert.dump(), issuer.dump())


@functools.lru_cache(maxsize=2048)
def _signed_by_der(cert_der: bytes, issuer_der: bytes) -> bool:
    cert, issuer = x509.Certificate.load(cert_der), x509.Certificate.load(issuer_der)
    try:
        key = public_key_of(issuer)
    except ValueError:
        return False
    algorithm = cert["signature_algorithm"]["algorithm"].dotted
    tbs = cert["tbs_certificate"].dump()
    return verify_signature(key, algorithm, tbs, bytes(cert["signature_value"].native))


def _may_issue(child: x509.Certificate, candidate: x509.Certificate) -> bool:
    if child.issuer != candidate.subject:
        return False
    aki, ski = authority_key_id(child), subject_key_id(candidate)
    return aki is None or ski is None or aki == ski


# At most this many issuer-signature checks per path search: a crafted bundle of look-alike issuers
# must not buy unbounded GOST work.
MAX_SIGNATURE_CHECKS = 24


@dataclass(slots=True)
class _Search:
    trust: TrustStore
    pool: list[x509.Certificate]
    max_depth: int
    bad_signature: bool = False
    too_long: bool = False
    checks_left: int = MAX_SIGNATURE_CHECKS

    def paths(self, chain: list[x509.Certificate]) -> list[x509.Certificate] | None:
        tip = chain[-1]
        if self.trust.is_trusted_root(tip):
            return chain
        if len(chain) >= self.max_depth:
            self.too_long = True
            return None
        seen = {fingerprint(c) for c in chain}
        for candidate in self.pool:
            if fingerprint(candidate) in seen or not _may_issue(tip, candidate):
                continue
            if self.checks_left <= 0:
                return None
            self.checks_left -= 1
            if not signed_by(tip, candidate):
                self.bad_signature = True
                continue
            found = self.paths([*chain, candidate])
            if found is not None:
                return found
        return None


# Extensions this validator understands; any other extension marked critical makes the certificate
# unusable (RFC 5280 4.2), rather than being silently ignored.
_UNDERSTOOD_EXTENSIONS = frozenset(
    {
        "basic_constraints",
        "key_usage",
        "extended_key_usage",
        "certificate_policies",
        "key_identifier",
        "authority_key_identifier",
        "subject_alt_name",
        "issuer_alt_name",
        "crl_distribution_points",
        "authority_information_access",
        "freshest_crl",
    }
)


def _critical_reasons(cert: x509.Certificate) -> list[Reason]:
    unknown = sorted(str(name) for name in cert.critical_extensions if name not in _UNDERSTOOD_EXTENSIONS)
    if not unknown:
        return []
    return [
        Reason(
            ReasonCode.UNSUPPORTED_CRITICAL_EXTENSION,
            f"{name_text(cert.subject)} has critical extension(s) this verifier does not process: "
            + ", ".join(unknown),
        )
    ]


def _validity_reasons(cert: x509.Certificate, at: dt.datetime, *, leaf: bool) -> list[Reason]:
    validity = cert["tbs_certificate"]["validity"]
    not_before, not_after = validity["not_before"].native, validity["not_after"].native
    who = "the signer's certificate" if leaf else f"CA certificate {name_text(cert.subject)}"
    if at < not_before:
        return [
            Reason(
                ReasonCode.CERTIFICATE_NOT_YET_VALID,
                f"{who} was not yet valid at {at.isoformat()} (valid from {not_before.isoformat()})",
            )
        ]
    if at > not_after:
        return [
            Reason(
                ReasonCode.CERTIFICATE_EXPIRED,
                f"{who} had expired at {at.isoformat()} (valid until {not_after.isoformat()})",
            )
        ]
    return []


def _ca_reasons(ca: x509.Certificate, below: int) -> list[Reason]:
    """Constraints of a CA certificate that has ``below`` non-self-issued CA certificates under it."""
    name = name_text(ca.subject)
    basic = ca.basic_constraints_value
    if basic is None or not basic["ca"].native:
        return [
            Reason(
                ReasonCode.CA_CONSTRAINTS_VIOLATED,
                f"{name} is not a CA (basicConstraints) but issued a certificate",
            )
        ]
    path_len = basic["path_len_constraint"].native
    if path_len is not None and below > path_len:
        return [
            Reason(
                ReasonCode.CA_CONSTRAINTS_VIOLATED, f"{name} allows {path_len} CA(s) below it, found {below}"
            )
        ]
    usage = ca.key_usage_value
    if usage is None or "key_cert_sign" not in usage.native:
        return [Reason(ReasonCode.CA_CONSTRAINTS_VIOLATED, f"{name} lacks keyUsage keyCertSign")]
    return []


def validate_path(
    leaf: x509.Certificate,
    *,
    trust: TrustStore,
    extra_certificates: Sequence[x509.Certificate] = (),
    at: dt.datetime,
    max_depth: int,
) -> PathResult:
    """Build a path from ``leaf`` to a trusted root and judge it at time ``at``."""
    pool = [*extra_certificates, *trust.intermediates, *trust.roots]
    search = _Search(trust=trust, pool=pool, max_depth=max_depth)
    chain = search.paths([leaf])
    if chain is None:
        if search.bad_signature:
            return PathResult(
                (leaf,),
                (
                    Reason(
                        ReasonCode.CHAIN_SIGNATURE_INVALID,
                        "a certificate's signature does not verify with its issuer's key",
                    ),
                ),
            )
        if search.too_long:
            return PathResult(
                (leaf,),
                (Reason(ReasonCode.CHAIN_TOO_LONG, f"no trusted path within {max_depth} certificates"),),
            )
        return PathResult(
            (leaf,),
            (
                Reason(
                    ReasonCode.CHAIN_UNTRUSTED,
                    f"no path from {name_text(leaf.issuer)} to a trusted root certificate",
                ),
            ),
        )
    reasons: list[Reason] = []
    for index, cert in enumerate(chain):
        reasons.extend(_validity_reasons(cert, at, leaf=index == 0))
        reasons.extend(_critical_reasons(cert))
        if index > 0:
            reasons.extend(_ca_reasons(cert, below=index - 1))
    return PathResult(tuple(chain), tuple(reasons))
