"""The tables of the registry service (SQLAlchemy 2 typed mappings).

The schema itself is created only by the Alembic migrations in ``registry_api/migrations``; these
classes mirror it for queries. Datetimes are stored as UTC and always come back aware, on SQLite too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Application(Base):
    """One service request: the signed Annex 2 form, its status, deadlines and the profile it runs under."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_applications_idempotency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    applicant_id: Mapped[str] = mapped_column(String(12), index=True)
    applicant_name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(40), index=True)
    profile_key: Mapped[str] = mapped_column(String(64))
    profile_out_of_range: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[dt.datetime]
    registration_day: Mapped[dt.date] = mapped_column(Date)
    registered_at: Mapped[dt.datetime | None]
    registration_due: Mapped[dt.datetime]
    completeness_due: Mapped[dt.datetime]
    service_term_due: Mapped[dt.datetime]
    hearing_notice_due: Mapped[dt.datetime]
    examination_due: Mapped[dt.datetime | None]
    hearing_due: Mapped[dt.datetime | None]
    current_due: Mapped[dt.datetime | None] = mapped_column(index=True)
    form_json: Mapped[str] = mapped_column(Text)
    form_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signer_iin: Mapped[str | None] = mapped_column(String(12))
    signer_bin: Mapped[str | None] = mapped_column(String(12))
    signer_algorithm: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_sha256: Mapped[str] = mapped_column(String(64))
    refusal_grounds: Mapped[list[str] | None] = mapped_column(JSON)
    missing_documents: Mapped[list[str] | None] = mapped_column(JSON)
    hearing_at: Mapped[dt.datetime | None]
    hearing_notice_late: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class Attachment(Base):
    """A document attached to the application (R-DOC-1.2 backing, R-DOC-1.3 guarantee letter)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    backing_kind: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    node_endpoints: Mapped[list[str] | None] = mapped_column(JSON)


class AuditEntry(Base):
    """Append-only trail of every stage change (the migration forbids UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(12))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class OutboxEvent(Base):
    """A monitoring event (R-MON-1) written with its stage change, delivered at least once later."""

    __tablename__ = "outbox"

    # ``seq`` orders events as they were written (several can share one ``created_at``); ``id`` is the
    # public event id the receiver deduplicates by.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    """A result or notice: canonical JSON, its PDF, hashes and the head's detached CMS signature."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    canonical_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[dt.datetime]
    signer_iin: Mapped[str] = mapped_column(String(12))
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class Complaint(Base):
    """A complaint against a decision or action (R-CMP-1/2) and its deadlines."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    applicant_id: Mapped[str] = mapped_column(String(12), index=True)
    filed_at: Mapped[dt.datetime]
    registration_day: Mapped[dt.date] = mapped_column(Date)
    addressee: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24))
    forward_due: Mapped[dt.datetime | None]
    review_due: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)


class AuthChallenge(Base):
    """A one-time nonce for EDS authentication; used once, then dead."""

    __tablename__ = "auth_challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
