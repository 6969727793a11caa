"""The service's own copy of a permit (its database), offered to verification as evidence to compare.

The chain decides; this copy only lets a number-only check hash and verify the document the service
issued, words the chain's reason codes with the head's own reasons, and lets the report say when the
database and the chain disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_api.models.chain_tables import Anchor, PermitAct
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
    anchor = session.scalars(select(Anchor).where(Anchor.document_id == row.id)).first()
    reasons: list[tuple[int, str]] = []
    if anchor is not None:
        acts = session.scalars(
            select(PermitAct)
            .where(PermitAct.anchor_id == anchor.id, PermitAct.state == "done")
            .order_by(PermitAct.id.desc())  # the latest act's words win for a reused code
        )
        reasons = [(act.reason_code, act.reason) for act in acts if act.reason_code is not None]
    anchored = anchor is not None and anchor.state == "anchored"
    return StoredPermit(
        copy=ServiceCopy(
            number=row.number,
            sha256_hex=row.sha256,
            valid_until=row.valid_until,
            status=anchor.permit_status if anchored and anchor is not None else None,
            reason_texts=tuple(reasons),
        ),
        document=row.canonical_json.encode("utf-8"),
        signature=row.signature,
    )
