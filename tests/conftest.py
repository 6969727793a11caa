"""Fixtures shared by the whole suite.

Package-specific fixtures live beside their tests; anything two packages need lives here. The
integration fixture that starts a real five-node network is session-scoped and reused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from permitchain.rule_profile import RuleProfile, default_profile
from tests.node.network.cluster import Devnet

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def rule_profile() -> RuleProfile:
    return default_profile()


@pytest.fixture(scope="session")
def devnet5(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    """A real five-validator QBFT devnet in processes (``permitchain devnet up``), shared by every test
    that does not kill or partition nodes; stopped at the end of the session."""
    from node.devnet.network import down, up  # noqa: PLC0415 - only sessions that use it pay the import

    directory = tmp_path_factory.mktemp("devnet5")
    up(directory, nodes=5, dev_accounts=8, request_timeout_ms=1000)
    try:
        yield Devnet.load(directory)
    finally:
        down(directory)
