"""Wire shapes of the public API, for the OpenAPI document and clients' code generators.

The answers are built by ``register`` and ``VerificationReport.as_json``; these models describe and
validate them on the way out (a drift between the two fails the API tests, not a client).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

IssuerStatusName = Literal["active", "suspended", "revoked", "expired"]


class IssuerOut(BaseModel):
    issuer_id: str
    status: IssuerStatusName
    at: str
    display_name: str
    platform_name: str
    permit_hash: str
    valid_through: str | None
    reason: int | None
    registered_at: str | None
    updated_at: str | None


class IssuerPage(BaseModel):
    items: list[IssuerOut]
    total: int
    page: int
    page_size: int


class Revision(BaseModel):
    change: Literal["registered", "new_permit", "status_changed"]
    status: IssuerStatusName | Literal["not_found"]
    at: str | None
    block_number: int
    tx_hash: str
    permit_hash: str
    reason: int | None
    cause: Literal["permit", "direct"] | None
    display_name: str | None
    platform_name: str | None


class IssuerHistory(BaseModel):
    issuer_id: str
    revisions: list[Revision]


class PermitOut(BaseModel):
    number: str
    permit_hash: str
    issuer_id: str | None
    status: Literal["valid", "not_yet_valid", "expired", "suspended", "revoked"]
    at: str
    valid_from: str
    valid_through: str
    anchored_at: str | None
    changed_at: str | None
    reason: int | None


class CheckOut(BaseModel):
    code: Literal["integrity", "signature", "anchor", "status", "validity", "issuer"]
    outcome: Literal["pass", "fail", "unknown"]
    reason: str
    reason_code: str
    details: dict[str, Any]


class NoteOut(BaseModel):
    code: str
    message: str


class ReportOut(BaseModel):
    verdict: Literal["valid", "invalid", "unconfirmed"]
    permit_number: str | None
    permit_hash: str | None
    at: str
    checked_at: str
    checks: list[CheckOut]
    notes: list[NoteOut]
