"""The state register of issuers as the public sees it, read from the chain (no HTTP, no DB).

An issuer's status at a moment is the IssuerRegistry's own answer (active / suspended / revoked /
expired, the last derived from its current permit's validity). The list and the history come from the
registries' events, which record every revision with its block and transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from contracts.issuer_ids import ISSUER_ID_LENGTH
from contracts.permit_dates import calendar_dates
from contracts.registry_reader import IssuerRecord, PermitRecord
from contracts.statuses import IssuerStatus, PermitStatus
from registry_api.exceptions import NotFound
from registry_api.verification.chain_view import IssuerEventKind, RegistryView
from registry_api.verification.exceptions import VerificationInputError

MAX_FILTER_CHARS = 128


def check_issuer_id(value: str) -> str:
    if len(value) != ISSUER_ID_LENGTH or not value.isascii() or not value.isdigit():
        raise VerificationInputError("a BIN or IIN is 12 digits", code="issuer_id_invalid")
    return value


def _iso(seconds: int) -> str | None:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat() if seconds else None


def issuer_json(record: IssuerRecord, at: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "issuer_id": record.issuer_id,
        "status": record.status.name.lower(),
        "at": at.isoformat(),
        "display_name": record.display_name,
        "platform_name": record.platform_name,
        "permit_hash": record.permit_hash.hex(),
        "valid_through": (
            (dt.datetime.fromtimestamp(record.valid_until - 1, tz=tz).date().isoformat())
            if record.valid_until
            else None
        ),
        "reason": record.reason or None,
        "registered_at": _iso(record.registered_at),
        "updated_at": _iso(record.updated_at),
    }


def issuer_status(view: RegistryView, issuer_id: str, at: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    record = view.issuer(check_issuer_id(issuer_id), int(at.timestamp()))
    if record.status is IssuerStatus.NOT_FOUND:
        raise NotFound(f"no issuer {issuer_id} in the register", code="issuer_not_found")
    return issuer_json(record, at, tz)


def permit_json(record: PermitRecord, at: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    first, last = calendar_dates(record.issued_at, record.valid_until, tz)
    return {
        "number": record.permit_number,
        "permit_hash": record.permit_hash.hex(),
        "issuer_id": record.issuer_id,
        "status": record.status.name.lower(),
        "at": at.isoformat(),
        "valid_from": first.isoformat(),
        "valid_through": last.isoformat(),
        "anchored_at": _iso(record.anchored_at),
        "changed_at": _iso(record.changed_at),
        "reason": record.reason or None,
    }


def permit_status(view: RegistryView, number: str, at: dt.datetime, tz: ZoneInfo) -> dict[str, Any]:
    if not number or len(number.encode()) > 64:
        raise VerificationInputError("a permit number is 1 to 64 bytes", code="permit_number_invalid")
    record = view.permit_by_number(number, int(at.timestamp()))
    if record.status is PermitStatus.NOT_FOUND:
        raise NotFound(f"no permit {number} on the chain", code="permit_not_found")
    return permit_json(record, at, tz)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "total": self.total, "page": self.page, "page_size": self.page_size}


def list_issuers(
    view: RegistryView,
    at: dt.datetime,
    tz: ZoneInfo,
    *,
    status: str | None,
    platform: str | None,
    page: int,
    page_size: int,
) -> Page:
    """The register at ``at``, filtered by status and a case-insensitive platform-name substring."""
    wanted: IssuerStatus | None = None
    if status is not None:
        try:
            wanted = IssuerStatus[status.upper()]
        except KeyError as exc:
            raise VerificationInputError(
                "status must be one of active, suspended, revoked, expired", code="status_invalid"
            ) from exc
    if platform is not None and len(platform) > MAX_FILTER_CHARS:
        raise VerificationInputError(f"platform filter is at most {MAX_FILTER_CHARS} characters")
    needle = platform.casefold() if platform else None
    seconds = int(at.timestamp())
    matched: list[dict[str, Any]] = []
    for issuer_id in view.issuer_ids():
        record = view.issuer(issuer_id, seconds)
        if record.status is IssuerStatus.NOT_FOUND:
            continue
        if wanted is not None and record.status is not wanted:
            continue
        if needle is not None and needle not in record.platform_name.casefold():
            continue
        matched.append(issuer_json(record, at, tz))
    start = (page - 1) * page_size
    return Page(matched[start : start + page_size], len(matched), page, page_size)


def issuer_history(view: RegistryView, issuer_id: str) -> list[dict[str, Any]]:
    """Every revision of the issuer's entry, oldest first: what happened, when, in which block and tx."""
    events = view.issuer_events(check_issuer_id(issuer_id))
    if not events:
        raise NotFound(f"no issuer {issuer_id} in the register", code="issuer_not_found")
    revisions: list[dict[str, Any]] = []
    for event in events:
        change = {
            IssuerEventKind.REGISTERED: "registered",
            IssuerEventKind.UPDATED: "new_permit",
            IssuerEventKind.STATUS_CHANGED: "status_changed",
        }[event.kind]
        revisions.append(
            {
                "change": change,
                "status": event.status.name.lower(),
                "at": _iso(event.at),
                "block_number": event.block_number,
                "tx_hash": event.tx_hash,
                "permit_hash": event.permit_hash.hex(),
                "reason": event.reason or None,
                "cause": {1: "permit", 2: "direct"}.get(event.cause or 0),
                "display_name": event.display_name,
                "platform_name": event.platform_name,
            }
        )
    return revisions
