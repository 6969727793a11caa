"""Migrations create the schema (SQLite: WAL, foreign keys; PostgreSQL); the audit log is append-only."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from registry_api.core.db import make_engine, migrate
from registry_api.exceptions import ConfigurationError
from registry_api.models.tables import AuditEntry, Base


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent
    yield engine
    engine.dispose()


def test_migrations_create_every_mapped_table(engine) -> None:
    names = set(sa.inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= names
    assert "alembic_version" in names


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_audit_rows_cannot_be_changed_or_deleted(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(AuditEntry).values(
                application_id=None,
                at=dt.datetime(2025, 2, 12, tzinfo=dt.UTC),
                actor="921029350851",
                role="officer",
                action="register",
                from_status="accepted",
                to_status="registered",
                detail={},
            )
        )
    for statement in (sa.update(AuditEntry).values(action="forged"), sa.delete(AuditEntry)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(sa.select(AuditEntry.action)).scalars().all() == ["register"]


def test_only_sqlite_and_postgresql_urls_are_accepted() -> None:
    with pytest.raises(ConfigurationError):
        make_engine("mysql://u@h/db")
    with pytest.raises(ConfigurationError):
        make_engine("not a url")


def test_the_models_match_the_migrations(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Ignore only type-affinity noise; any missing table, column, index or constraint shows up here.
    assert [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")] == []
