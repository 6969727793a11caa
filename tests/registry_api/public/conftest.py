"""The app with its public side reading a real devnet node (see ``tests.registry_api.verification``)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from registry_api.main import create_app
from registry_api.public.context import PublicContext
from registry_api.public.rate_limit import RateLimiter
from tests.registry_api.conftest import make_settings
from tests.registry_api.verification.devnet_env import ASTANA, ChainEnv, start_chain_env

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # see tests/registry_api/conftest.py: Starlette's TestClient notice
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def chain_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainEnv]:
    yield from start_chain_env(tmp_path_factory.mktemp("public-chain"))


def public_context(env: ChainEnv, *, rate: float = 10_000, burst: int = 10_000) -> PublicContext:
    return PublicContext(
        view=env.view(head_ttl_seconds=0.0),  # tests read their own writes at once
        signatures=env.policy(),
        limiter=RateLimiter(rate=rate, burst=burst),
        tz=ASTANA,
        max_upload_bytes=64 * 1024,
    )


def build_app(env: ChainEnv, database_url: str) -> FastAPI:
    settings = make_settings(database_url, regulator_bin=env.regulator_bin, staff=[])
    app = create_app(settings, verifier=None, head_signer=None, clock=lambda: dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
    app.state.public = public_context(env)
    return app


@pytest.fixture
def app(chain_env, tmp_path) -> Iterator[FastAPI]:
    application = build_app(chain_env, f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def db_app(chain_env, database_url) -> Iterator[FastAPI]:
    """The app on SQLite and on PostgreSQL (``database_url`` of tests/registry_api/conftest.py)."""
    application = build_app(chain_env, database_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def db_client(db_app) -> Iterator[TestClient]:
    with TestClient(db_app, raise_server_exceptions=False) as test_client:
        yield test_client
