"""The service's own copy of a permit (its database), offered to verification as evidence to compare.

The chain decides; this copy only lets a number-only check hash and verify the document the service
issued, and lets the report say when the database and the chain disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.models.tables import Document
from registry_api.verification.verifier import ServiceCopy


@dataclass(frozen=True, slots=True)
class StoredPermit:
    copy: ServiceCopy
    document: bytes
    signature: bytes


def stored_permit(session: Session, number: str) -> StoredPermit | None:
    row = session.scalars(
        select(Document).where(Document.number == number, Document.kind == "permit")
    ).first()
    if row is None:
        return None
    return StoredPermit(
        copy=ServiceCopy(number=row.number, sha256_hex=row.sha256, valid_until=row.valid_until),
        document=row.canonical_json.encode("utf-8"),
        signature=row.signature,
    )
