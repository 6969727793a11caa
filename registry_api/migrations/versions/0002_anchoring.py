"""Chain side: platform-check reports, anchoring intents and permit status acts.

Revision ID: 0002_anchoring
Revises: 0001
Create Date: 2026-11-25 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_anchoring"
down_revision = "0001"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "platform_checks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("checked_at", _utc(), nullable=False),
        sa.Column("actor", sa.String(12), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
    )
    op.create_index("ix_platform_checks_application_id", "platform_checks", ["application_id"])
    op.create_table(
        "anchors",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id"), nullable=False, unique=True),
        sa.Column("permit_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("permit_number", sa.String(64), nullable=False, unique=True),
        sa.Column("issuer_id", sa.String(12), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("platform_name", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("last_valid_day", sa.Date(), nullable=False),
        sa.Column("platform_report_hash", sa.String(80), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("permit_status", sa.String(16), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("registrar", sa.String(42), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("nonce", sa.Integer(), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("anchored_at", _utc(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_anchors_application_id", "anchors", ["application_id"])
    op.create_index("ix_anchors_issuer_id", "anchors", ["issuer_id"])
    op.create_index("ix_anchors_state", "anchors", ["state"])
    op.create_index("ix_anchors_next_attempt_at", "anchors", ["next_attempt_at"])
    op.create_table(
        "permit_acts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("anchor_id", sa.Integer(), sa.ForeignKey("anchors.id"), nullable=False),
        sa.Column("act", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(12), nullable=False),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("done_at", _utc(), nullable=True),
    )
    op.create_index("ix_permit_acts_anchor_id", "permit_acts", ["anchor_id"])


def downgrade() -> None:
    op.drop_table("permit_acts")
    op.drop_table("anchors")
    op.drop_table("platform_checks")
