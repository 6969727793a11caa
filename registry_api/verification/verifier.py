"""Verify a permit against the chain: the pure core shared by the public API and ``permitchain verify``.

Input is what a verifier holds (:class:`Evidence`); the chain (:class:`RegistryView`) answers what is
anchored, its status and its issuer; ``now`` and ``at`` are parameters (checks are judged "at" a moment,
by default now). No HTTP, no database: what the service's own database says arrives as
:class:`ServiceCopy` and is only compared with the chain, never trusted over it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import rfc8785

from contracts.permit_dates import calendar_dates
from contracts.registry_reader import PermitRecord
from contracts.statuses import IssuerStatus, PermitStatus
from permitchain.json_nesting import nested_deeper_than
from registry_api.verification.chain_view import AnchorProof, PermitEventKind, RegistryView
from registry_api.verification.exceptions import VerificationInputError
from registry_api.verification.report import Check, CheckCode, Outcome, VerificationReport
from registry_api.verification.signature_check import SignaturePolicy, judge_signature

HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class ServiceCopy:
    """What the registry service's database holds on a permit (to be compared, not trusted)."""

    number: str
    sha256_hex: str
    valid_until: dt.date | None
    status: str | None = None  # "valid" / "suspended" / "revoked" as the service recorded its acts
    reason_texts: tuple[tuple[int, str], ...] = ()  # the service's words for the chain's reason codes

    def reason_text(self, code: int) -> str | None:
        return next((text for c, text in self.reason_texts if c == code and text), None)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is to be verified: a document (+ its CMS), or a hash, or a number (at least one)."""

    document: bytes | None = None
    signature: bytes | None = None
    permit_hash: bytes | None = None
    number: str | None = None
    service_copy: ServiceCopy | None = None
    # True when ``document``/``signature`` are the service's stored copy, not something the person gave.
    document_from_service: bool = False

    def __post_init__(self) -> None:
        if self.document is None and self.permit_hash is None and not self.number:
            raise VerificationInputError("give a permit document, its SHA-256 hash or its number")
        if self.permit_hash is not None and len(self.permit_hash) != HASH_BYTES:
            raise VerificationInputError(f"a permit hash is {HASH_BYTES} bytes (64 hex digits)")
        if self.signature is not None and self.document is None:
            raise VerificationInputError("a signature can only be checked together with its document")


def parse_permit_hash(text: str) -> bytes:
    """``0x``-prefixed or bare 64 hex digits -> 32 bytes; anything else is a clear input error."""
    digits = text.strip().lower().removeprefix("0x")
    if len(digits) != 2 * HASH_BYTES or any(c not in "0123456789abcdef" for c in digits):
        raise VerificationInputError("a permit hash is 64 hexadecimal digits (SHA-256)")
    return bytes.fromhex(digits)


def _parse_untrusted(document: bytes) -> Any:
    """Parse an uploaded document, refusing nesting deep enough to crash the parser (see json_nesting)."""
    if nested_deeper_than(document):
        raise ValueError("document nests too deeply to be a permit")
    return json.loads(document)


def document_number(document: bytes) -> str | None:
    """The ``number`` field of a permit document, if it is a JSON object that has one."""
    try:
        parsed = _parse_untrusted(document)
    except (ValueError, UnicodeDecodeError):
        return None
    number = parsed.get("number") if isinstance(parsed, dict) else None
    return number if isinstance(number, str) and number else None


def _canonical_form(document: bytes) -> bytes | None:
    try:
        return rfc8785.dumps(_parse_untrusted(document))
    except (ValueError, UnicodeDecodeError, TypeError, rfc8785.CanonicalizationError):
        return None


def _when(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Found:
    record: PermitRecord
    proof: AnchorProof | None


def _lookup(evidence: Evidence, doc_hash: bytes | None, chain: RegistryView, at: int) -> _Found | None:
    record: PermitRecord | None = None
    for candidate in (evidence.permit_hash, doc_hash):
        if candidate is not None:
            record = chain.permit_by_hash(candidate, at)
            if record.status is not PermitStatus.NOT_FOUND:
                break
    number = evidence.number or (document_number(evidence.document) if evidence.document else None)
    if (record is None or record.status is PermitStatus.NOT_FOUND) and number:
        record = chain.permit_by_number(number, at)
    if record is None or record.status is PermitStatus.NOT_FOUND:
        return None
    anchored = [e for e in chain.permit_events(record.permit_hash) if e.kind is PermitEventKind.ANCHORED]
    proof = None
    if anchored:
        first = anchored[0]
        proof = AnchorProof(first.block_number, first.tx_hash, first.at, chain.head())
    return _Found(record, proof)


def _anchor_check(found: _Found | None) -> Check:
    if found is None:
        return Check(
            CheckCode.ANCHOR, Outcome.FAIL, "no permit with this hash or number is on the chain", "not_found"
        )
    proof = found.proof
    if proof is None:  # the contract has it but the node served no log for it (pruned logs)
        return Check(
            CheckCode.ANCHOR,
            Outcome.PASS,
            f"anchored on chain at {_when(found.record.anchored_at).isoformat()}",
            "anchored",
            {"block_time": found.record.anchored_at},
        )
    return Check(
        CheckCode.ANCHOR,
        Outcome.PASS,
        f"anchored in block {proof.block_number} (transaction {proof.tx_hash}) on "
        f"{_when(proof.block_time).isoformat()}; final (QBFT: a block, once in the chain, is final)",
        "anchored",
        {
            "block_number": proof.block_number,
            "tx_hash": proof.tx_hash,
            "block_time": proof.block_time,
            "confirmations": proof.confirmations,
            "final": True,
        },
    )


def _integrity_check(
    evidence: Evidence, doc_hash: bytes | None, found: _Found | None
) -> tuple[Check, bytes | None]:
    """The check, and the exact bytes the signature must cover (the canonical form of the document)."""
    code = CheckCode.INTEGRITY
    if evidence.document is None or doc_hash is None:
        return Check(
            code, Outcome.UNKNOWN, "no document was given to compare with the anchor", "not_given"
        ), None
    given = {"document_sha256": doc_hash.hex()}
    if found is None:
        return Check(
            code, Outcome.FAIL, "the document's hash is not anchored on the chain", "not_anchored", given
        ), None
    anchored = found.record.permit_hash
    details = {**given, "anchored_sha256": anchored.hex()}
    if doc_hash == anchored:
        return Check(
            code, Outcome.PASS, "the document is exactly the one anchored", "match", details
        ), evidence.document
    canonical = _canonical_form(evidence.document)
    if canonical is not None and hashlib.sha256(canonical).digest() == anchored:
        reason = "the document's canonical (RFC 8785) form is the one anchored"
        return Check(code, Outcome.PASS, reason, "canonical_match", details), canonical
    return (
        Check(
            code,
            Outcome.FAIL,
            f"the document differs from the anchored one: SHA-256 {doc_hash.hex()} is not {anchored.hex()}",
            "hash_mismatch",
            details,
        ),
        None,
    )


def _status_check(record: PermitRecord | None, tz: ZoneInfo, copy: ServiceCopy | None) -> Check:
    code = CheckCode.STATUS
    if record is None:
        return Check(code, Outcome.UNKNOWN, "the permit is not on the chain", "not_found")
    day = dt.datetime.fromtimestamp(record.changed_at, tz=tz).date().isoformat()
    text = copy.reason_text(record.reason) if copy is not None else None
    reason = f"{record.reason} ({text})" if text else str(record.reason)
    details = {"changed_at": record.changed_at, "reason": reason, "reason_code": record.reason, "day": day}
    if record.status is PermitStatus.REVOKED:
        return Check(code, Outcome.FAIL, f"revoked on {day}, reason {reason}", "revoked", details)
    if record.status is PermitStatus.SUSPENDED:
        return Check(code, Outcome.FAIL, f"suspended on {day}, reason {reason}", "suspended", details)
    return Check(code, Outcome.PASS, "not revoked and not suspended", "in_force")


def _validity_check(record: PermitRecord | None, at: int, tz: ZoneInfo) -> Check:
    code = CheckCode.VALIDITY
    if record is None:
        return Check(code, Outcome.UNKNOWN, "the permit is not on the chain", "not_found")
    first, last = calendar_dates(record.issued_at, record.valid_until, tz)
    details = {"valid_from": first.isoformat(), "valid_through": last.isoformat()}
    if at < record.issued_at:
        return Check(
            code, Outcome.FAIL, f"not valid yet: valid from {first.isoformat()}", "not_yet_valid", details
        )
    if at >= record.valid_until:
        return Check(code, Outcome.FAIL, f"expired: valid through {last.isoformat()}", "expired", details)
    reason = f"valid from {first.isoformat()} through {last.isoformat()}"
    return Check(code, Outcome.PASS, reason, "within_validity", details)


_ISSUER_TEXT = {
    IssuerStatus.SUSPENDED: ("suspended", "the issuer is suspended in the register"),
    IssuerStatus.REVOKED: ("revoked", "the issuer's entry in the register is revoked"),
    IssuerStatus.EXPIRED: ("expired", "the issuer's current permit has expired"),
    IssuerStatus.NOT_FOUND: ("not_found", "the issuer is not in the register"),
}


def _issuer_check(record: PermitRecord | None, chain: RegistryView, at: int) -> Check:
    code = CheckCode.ISSUER
    if record is None or record.issuer_id is None:
        return Check(code, Outcome.UNKNOWN, "the permit is not on the chain", "not_found")
    issuer = chain.issuer(record.issuer_id, at)
    details: dict[str, Any] = {
        "issuer_id": record.issuer_id,
        "display_name": issuer.display_name,
        "platform_name": issuer.platform_name,
        "status": issuer.status.name.lower(),
    }
    if issuer.status is IssuerStatus.ACTIVE:
        return Check(
            code, Outcome.PASS, f"{issuer.display_name} is active in the register", "active", details
        )
    reason_code, text = _ISSUER_TEXT[issuer.status]
    return Check(code, Outcome.FAIL, text, reason_code, details)


def _notes(copy: ServiceCopy | None, found: _Found | None, tz: ZoneInfo) -> tuple[dict[str, str], ...]:
    if copy is None:
        return ()
    if found is None:
        message = f"the service holds permit {copy.number} but the chain has no anchor for it"
        return ({"code": "db_chain_mismatch", "message": message},)
    notes: list[dict[str, str]] = []
    if copy.sha256_hex.lower() != found.record.permit_hash.hex():
        notes.append(
            {
                "code": "db_chain_mismatch",
                "message": f"the service's copy has SHA-256 {copy.sha256_hex}, the chain anchors "
                f"{found.record.permit_hash.hex()}; the chain is authoritative",
            }
        )
    _, last = calendar_dates(found.record.issued_at, found.record.valid_until, tz)
    if copy.valid_until is not None and copy.valid_until != last:
        notes.append(
            {
                "code": "db_chain_mismatch",
                "message": f"the service says valid through {copy.valid_until.isoformat()}, the chain "
                f"{last.isoformat()}; the chain is authoritative",
            }
        )
    chain_status = {PermitStatus.REVOKED: "revoked", PermitStatus.SUSPENDED: "suspended"}.get(
        found.record.status, "valid"
    )
    if copy.status is not None and copy.status != chain_status:
        notes.append(
            {
                "code": "db_chain_mismatch",
                "message": f"the service records the permit as {copy.status}, the chain as {chain_status}; "
                "the chain is authoritative",
            }
        )
    return tuple(notes)


def chain_now(chain: RegistryView, now: dt.datetime) -> dt.datetime:
    """The present moment as the chain sees it: a block's time may run a little ahead of this machine's
    clock and an act in the newest block already counts, so the later of the two."""
    head_time = dt.datetime.fromtimestamp(chain.head_time(), tz=dt.UTC)
    return max(now, head_time)


def verify_permit(
    evidence: Evidence,
    *,
    chain: RegistryView,
    signatures: SignaturePolicy,
    now: dt.datetime,
    at: dt.datetime | None = None,
    tz: ZoneInfo,
) -> VerificationReport:
    """Run every check; ``at`` (default ``now``) is the moment validity and status are judged at."""
    if now.tzinfo is None or (at is not None and at.tzinfo is None):
        raise VerificationInputError("times must carry a time zone")
    moment = at or chain_now(chain, now)
    at_s = int(moment.timestamp())
    doc_hash = hashlib.sha256(evidence.document).digest() if evidence.document is not None else None
    found = _lookup(evidence, doc_hash, chain, at_s)
    record = found.record if found else None
    integrity, signed_bytes = _integrity_check(evidence, doc_hash, found)
    anchored_at = None
    if found is not None:
        anchored_at = _when(found.proof.block_time if found.proof else found.record.anchored_at)
    signature_data = signed_bytes if signed_bytes is not None else evidence.document
    checks = (
        integrity,
        judge_signature(evidence.signature, signature_data, signatures, now=now, anchored_at=anchored_at),
        _anchor_check(found),
        _status_check(record, tz, evidence.service_copy),
        _validity_check(record, at_s, tz),
        _issuer_check(record, chain, at_s),
    )
    return VerificationReport(
        at=moment,
        checked_at=now,
        permit_number=record.permit_number if record else evidence.number,
        permit_hash=record.permit_hash.hex()
        if record
        else (doc_hash or evidence.permit_hash or b"").hex() or None,
        checks=checks,
        notes=(
            *(
                (
                    {
                        "code": "service_copy_checked",
                        "message": "integrity and signature were checked on the registry's stored copy of "
                        "the permit; upload your own copy to check it",
                    },
                )
                if evidence.document_from_service
                else ()
            ),
            *_notes(evidence.service_copy, found, tz),
        ),
    )
