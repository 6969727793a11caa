"""The typed result of a verification: one check per concern, each pass / fail / unknown with a plain
reason, and an overall verdict. Codes are stable: clients and the web page key their labels on them."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


class CheckCode(enum.StrEnum):
    INTEGRITY = "integrity"  # the given document's hash equals the anchored hash
    SIGNATURE = "signature"  # a valid CMS by the regulator's authorised official
    ANCHOR = "anchor"  # the permit is on chain (block, transaction, finality)
    STATUS = "status"  # not revoked, not suspended
    VALIDITY = "validity"  # inside its validity window at the asked time
    ISSUER = "issuer"  # the issuer is active in the register


CHECK_ORDER: tuple[CheckCode, ...] = tuple(CheckCode)


class Outcome(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"


class Verdict(enum.StrEnum):
    """``valid``: every check passed. ``invalid``: at least one failed. ``unconfirmed``: none failed but
    something could not be checked (e.g. only a number was given, so there was no document to hash)."""

    VALID = "valid"
    INVALID = "invalid"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class Check:
    code: CheckCode
    outcome: Outcome
    reason: str
    reason_code: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "reason_code": self.reason_code,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class VerificationReport:
    at: dt.datetime
    checked_at: dt.datetime
    permit_number: str | None
    permit_hash: str | None
    checks: tuple[Check, ...]
    notes: tuple[dict[str, str], ...] = ()

    @property
    def verdict(self) -> Verdict:
        outcomes = {c.outcome for c in self.checks}
        if Outcome.FAIL in outcomes:
            return Verdict.INVALID
        if Outcome.UNKNOWN in outcomes or not self.checks:
            return Verdict.UNCONFIRMED
        return Verdict.VALID

    def check(self, code: CheckCode) -> Check:
        for item in self.checks:
            if item.code is code:
                return item
        raise KeyError(code)

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "permit_number": self.permit_number,
            "permit_hash": self.permit_hash,
            "at": self.at.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "checks": [c.as_json() for c in self.checks],
            "notes": list(self.notes),
        }
