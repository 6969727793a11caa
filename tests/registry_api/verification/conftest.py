"""The verification tests read a real devnet node (see ``devnet_env``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.registry_api.verification.devnet_env import ChainEnv, start_chain_env


@pytest.fixture(scope="session")
def chain_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChainEnv]:
    yield from start_chain_env(tmp_path_factory.mktemp("verification-chain"))
