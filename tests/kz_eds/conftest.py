"""One development PKI for the whole kz_eds suite (GOST key generation in pure Python is slow)."""

from __future__ import annotations

import datetime as dt

import pytest

from kz_eds.dev_pki import DevPki, generate_dev_pki
from kz_eds.trust import TrustStore

RSA = "RSA-SHA256"
GOST = "GOST2015-512"


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def pki(tmp_path_factory, now) -> DevPki:
    return generate_dev_pki(tmp_path_factory.mktemp("dev-pki"), now=now)


@pytest.fixture(scope="session")
def trust(pki: DevPki) -> TrustStore:
    return pki.trust_store()
