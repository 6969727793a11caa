"""What a verification answers: a verdict, who signed, when, and every reason it failed.

Callers (the registry service, the CLI) show ``reasons`` to people and store ``code`` values, so the
codes in :class:`ReasonCode` are a stable contract: add new ones, never rename.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Literal

Purpose = Literal["signing", "authentication", "unknown"]
Algorithm = Literal["RSA-SHA256", "GOST2015-512", "unknown"]


class ReasonCode(enum.StrEnum):
    """Stable machine-readable codes of every way a signature can fail."""

    INPUT_TOO_LARGE = "input_too_large"
    MALFORMED_CMS = "malformed_cms"
    NOT_SIGNED_DATA = "not_signed_data"
    NO_SIGNER = "no_signer"
    CONTENT_MISSING = "content_missing"
    CONTENT_CONFLICT = "content_conflict"
    SIGNER_CERTIFICATE_MISSING = "signer_certificate_missing"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    SIGNED_ATTRIBUTES_MISSING = "signed_attributes_missing"
    CONTENT_TYPE_MISMATCH = "content_type_mismatch"
    MESSAGE_DIGEST_MISMATCH = "message_digest_mismatch"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNING_CERTIFICATE_MISMATCH = "signing_certificate_mismatch"
    SIGNING_TIME_MISSING = "signing_time_missing"
    SIGNING_TIME_UNPROVEN = "signing_time_unproven"
    SIGNING_TIME_IN_FUTURE = "signing_time_in_future"
    TIMESTAMP_INVALID = "timestamp_invalid"
    TIMESTAMP_IMPRINT_MISMATCH = "timestamp_imprint_mismatch"
    TIMESTAMP_UNTRUSTED = "timestamp_untrusted"
    CHAIN_UNTRUSTED = "chain_untrusted"
    CHAIN_SIGNATURE_INVALID = "chain_signature_invalid"
    CHAIN_TOO_LONG = "chain_too_long"
    CA_CONSTRAINTS_VIOLATED = "ca_constraints_violated"
    UNSUPPORTED_CRITICAL_EXTENSION = "unsupported_critical_extension"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CERTIFICATE_REVOKED = "certificate_revoked"
    REVOCATION_UNKNOWN = "revocation_unknown"
    KEY_USAGE_INVALID = "key_usage_invalid"
    NOT_SIGNING_CERTIFICATE = "not_signing_certificate"
    IDENTIFIER_INVALID = "identifier_invalid"
    IIN_MISMATCH = "iin_mismatch"
    BIN_MISMATCH = "bin_mismatch"
    NO_RIGHT_TO_SIGN = "no_right_to_sign"


@dataclass(frozen=True, slots=True)
class Reason:
    """One failed check: a stable ``code`` and a plain sentence for a person."""

    code: ReasonCode
    message: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


class RevocationStatus(enum.StrEnum):
    """Revocation state of the signer's certificate at the time of signing."""

    GOOD = "good"
    REVOKED = "revoked"
    REVOKED_AFTER_SIGNING = "revoked_after_signing"
    UNKNOWN = "unknown"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """The person behind a signature, as the NCA RK certificate profile names them."""

    iin: str | None
    bin: str | None
    organisation: str | None
    common_name: str | None
    surname: str | None
    given_name: str | None
    purpose: Purpose
    roles: tuple[str, ...]
    algorithm: Algorithm
    certificate_serial: str
    subject: str
    issuer: str

    def as_json(self) -> dict[str, object]:
        return {
            "iin": self.iin,
            "bin": self.bin,
            "organisation": self.organisation,
            "common_name": self.common_name,
            "surname": self.surname,
            "given_name": self.given_name,
            "purpose": self.purpose,
            "roles": list(self.roles),
            "algorithm": self.algorithm,
            "certificate_serial": self.certificate_serial,
            "subject": self.subject,
            "issuer": self.issuer,
        }


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verdict on one CMS signature; ``valid`` is true exactly when ``reasons`` is empty."""

    signer: SignerInfo | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    chain: tuple[str, ...]
    revocation: RevocationStatus
    reasons: tuple[Reason, ...] = field(default=())
    content: bytes | None = None

    @property
    def valid(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> frozenset[ReasonCode]:
        return frozenset(r.code for r in self.reasons)

    def as_json(self) -> dict[str, object]:
        return {
            "valid": self.valid,
            "signer": self.signer.as_json() if self.signer else None,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "chain": list(self.chain),
            "revocation": self.revocation.value,
            "reasons": [r.as_json() for r in self.reasons],
        }
