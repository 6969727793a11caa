"""Tables of the chain side of the registry: platform-check reports, anchoring intents, status acts.

Kept apart from :mod:`registry_api.models.tables` (same declarative ``Base``) because they change with
the chain integration, not with the workflow. The schema comes from migration ``0002_anchoring``.

An :class:`Anchor` row is the *intent* to anchor one signed permit: written before anything is sent, so
a crash or a node outage at any point is resumed from the row (and the chain is asked before any
re-send). A :class:`PermitAct` row is the same for a suspension, reinstatement or revocation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry_api.models.tables import Base


class PlatformCheckRecord(Base):
    """A signed platform-check report (R-DOC-1.3 verified) for one application, as the officer ran it."""

    __tablename__ = "platform_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    checked_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(12))
    verdict: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(80))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)


class Anchor(Base):
    """One permit on its way to the chain (``state``: intent -> sent -> anchored, or failed)."""

    __tablename__ = "anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    permit_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permit_number: Mapped[str] = mapped_column(String(64), unique=True)
    issuer_id: Mapped[str] = mapped_column(String(12), index=True)
    display_name: Mapped[str] = mapped_column(Text)
    platform_name: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    last_valid_day: Mapped[dt.date] = mapped_column(Date)
    platform_report_hash: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16), index=True)
    permit_status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    registrar: Mapped[str | None] = mapped_column(String(42))
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    nonce: Mapped[int | None] = mapped_column(Integer)
    block_number: Mapped[int | None] = mapped_column(Integer)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    anchored_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class PermitAct(Base):
    """A suspension, reinstatement or revocation of an anchored permit, by the head, with its reason."""

    __tablename__ = "permit_acts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    anchor_id: Mapped[int] = mapped_column(ForeignKey("anchors.id"), index=True)
    act: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(12))
    requested_at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(Integer)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    done_at: Mapped[dt.datetime | None]
