"""Fixtures of the registry service tests: a real database (SQLite and PostgreSQL), a settable clock,
the app over HTTP (TestClient), and tokens for each role.

PostgreSQL tests get a uniquely named schema per test (dropped afterwards) and are skipped with a
clear message only when no server answers at 127.0.0.1:5432.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi import FastAPI

from registry_api.core.config import Settings, load_settings
from registry_api.main import create_app
from registry_api.services.auth import Principal, issue_token
from registry_api.services.signatures import build_ports
from registry_api.services.workflow import Role
from tests.registry_api.pki import TestPki, make_pki

with warnings.catch_warnings():
    # Starlette 1.x deprecates its TestClient over httpx in favour of `httpx2`, which the project does not
    # pin; the client still works, so only this import is exempted.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ASTANA = ZoneInfo("Asia/Almaty")
# Where the PostgreSQL half of the suite runs; CI and this machine kind serve one on 127.0.0.1:5432.
PG_DSN = os.environ.get("PERMITCHAIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REGULATOR_BIN = "940140000385"
OFFICER_IIN = "921029350851"
HEAD_IIN = "870412300129"  # replaced by the dev PKI's head identity where EDS is involved
AUDITOR_IIN = "800101300013"


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=2):
            return None
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL server answers at {PG_DSN} ({exc.__class__.__name__}); SQLite half still runs"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        return
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    schema = f"registry_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        base = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


PKI_AT = dt.datetime(2025, 2, 10, tzinfo=dt.UTC)  # dev PKI CRLs are fresh for a week after this


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki-rsa"), algorithm="RSA-SHA256", at=PKI_AT)


@pytest.fixture(scope="session")
def gost_pki(tmp_path_factory) -> TestPki:
    return make_pki(tmp_path_factory.mktemp("pki-gost"), algorithm="GOST2015-512", at=PKI_AT)


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory) -> TestPki:
    """A second, untrusted PKI: same shape, different roots."""
    return make_pki(tmp_path_factory.mktemp("pki-other"), algorithm="RSA-SHA256", at=PKI_AT)


@dataclass
class Clock:
    """The injected clock: tests move time instead of sleeping."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        """Jump to a wall-clock moment in Astana."""
        self.now = dt.datetime(year, month, day, hour, minute, tzinfo=ASTANA)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2025, 2, 12, 10, 0, tzinfo=ASTANA))  # a Wednesday, in office hours


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "environment": "test",
        "database_url": database_url,
        "regulator_bin": REGULATOR_BIN,
        "staff": [
            {"iin": OFFICER_IIN, "role": "officer"},
            {"iin": HEAD_IIN, "role": "head"},
            {"iin": AUDITOR_IIN, "role": "auditor"},
        ],
        "public_base_url": "https://registry.example.kz",
    }
    values.update(overrides)
    return load_settings(**values)


def bearer(settings: Settings, principal: Principal, now: dt.datetime) -> dict[str, str]:
    token, _ = issue_token(
        principal, secret=settings.secret_bytes(), now=now, ttl_seconds=settings.token_ttl_seconds
    )
    return {"Authorization": f"Bearer {token}"}


STAFF = {
    Role.OFFICER: Principal(iin=OFFICER_IIN, bin=REGULATOR_BIN, role=Role.OFFICER),
    Role.HEAD: Principal(iin=HEAD_IIN, bin=REGULATOR_BIN, role=Role.HEAD),
    Role.AUDITOR: Principal(iin=AUDITOR_IIN, bin=REGULATOR_BIN, role=Role.AUDITOR),
}

APPLICANT = Principal(iin="921029350851", bin="990140004654", role=Role.APPLICANT)


@pytest.fixture
def make_client(database_url, clock):
    """Build the app on the test database with the given ports; closes every client afterwards."""
    clients: list[tuple[TestClient, FastAPI]] = []

    def build(*, verifier=None, head_signer=None, pki=None, **overrides) -> tuple[TestClient, Settings]:
        if pki is not None:
            overrides = {**pki.settings(), **overrides}
        settings = make_settings(database_url, **overrides)
        if pki is not None:
            verifier, head_signer = build_ports(settings)
        app = create_app(settings, verifier=verifier, head_signer=head_signer, clock=clock)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append((client, app))
        return client, settings

    yield build
    for client, app in clients:
        client.close()
        app.state.engine.dispose()
