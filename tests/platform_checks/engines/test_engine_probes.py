"""Each engine adapter against a real local JSON-RPC server serving a chain sealed here."""

from __future__ import annotations

import asyncio

import pytest

from platform_checks.consensus_probe import fetch_recent_headers
from platform_checks.endpoints import parse_endpoint
from platform_checks.engines.base import EngineFinding, EngineProbe
from platform_checks.engines.clique import CliqueProbe, clique_fault_tolerance
from platform_checks.engines.ibft2 import Ibft2Probe
from platform_checks.engines.qbft import QbftProbe
from platform_checks.rpc_client import RpcClient, new_http_client
from tests.platform_checks.chains import Chain, make_keys
from tests.platform_checks.conftest import START, local_settings
from tests.platform_checks.rpc_servers import NodeBackend, json_responder, serve

PROBES: dict[str, EngineProbe] = {"qbft": QbftProbe(), "ibft2": Ibft2Probe(), "clique": CliqueProbe()}


def probe_all(chain: Chain, disabled: set[str] | None = None) -> dict[str, EngineFinding]:
    backend = NodeBackend(chain, "ab" * 64, disabled=disabled or set())

    async def go() -> dict[str, EngineFinding]:
        async with new_http_client() as http:
            client = RpcClient(
                parse_endpoint(url), settings=local_settings(), http=http, semaphore=asyncio.Semaphore(4)
            )
            head = len(chain.blocks) - 1
            headers, _ = await fetch_recent_headers(client, head, 8, lambda: START)
            return {name: await p.probe(client, headers, lambda: START) for name, p in PROBES.items()}

    with serve(json_responder(backend)) as server:
        url = server.url
        return asyncio.run(go())


@pytest.mark.parametrize("engine", ["qbft", "ibft2"])
def test_bft_engine_identified_with_validators_and_sealers(engine: str) -> None:
    keys = make_keys(5)
    chain = Chain(engine, keys)
    chain.mine(12)
    findings = probe_all(chain)
    found = findings[engine]
    assert found.identified_by_headers
    assert found.identified_by_rpc is True
    assert found.validators == tuple(chain.validator_addresses())
    assert (found.quorum, found.fault_tolerance) == (4, 1)
    assert found.blocks_checked == 8
    assert found.blocks_properly_sealed == 8
    assert set(found.distinct_sealers) == set(chain.validator_addresses())
    assert found.problems == ()
    others = [f for name, f in findings.items() if name != engine]
    assert not any(f.identified_by_headers for f in others)
    assert all(f.identified_by_rpc is False for f in others)


def test_qbft_identified_from_headers_even_without_rpc_namespace() -> None:
    chain = Chain("qbft", make_keys(4))
    chain.mine(5)
    found = probe_all(chain, disabled={"qbft_getValidatorsByBlockNumber"})["qbft"]
    assert found.identified_by_headers
    assert found.identified_by_rpc is False
    assert found.validators_from_rpc is None


def test_seals_by_outsiders_and_missing_quorum_are_problems() -> None:
    keys = make_keys(4)
    outsider = make_keys(1, seed=99)[0]
    chain = Chain("qbft", keys)
    chain.mine(2)
    chain.mine(1, sealers=[keys[0], keys[1], outsider])
    chain.mine(1, sealers=[keys[0], keys[1]])
    found = probe_all(chain)["qbft"]
    assert found.identified_by_headers
    assert any("block 3" in p and "non-validators" in p for p in found.problems)
    assert any("block 4" in p and "quorum is 3" in p for p in found.problems)
    assert found.blocks_properly_sealed == found.blocks_checked - 2


def test_wrong_block_hash_means_not_identified() -> None:
    chain = Chain("qbft", make_keys(4))
    chain.mine(3)
    chain.mine(1, tamper_hash=True)
    found = probe_all(chain)["qbft"]
    assert not found.identified_by_headers
    assert any("hashes do not follow" in p for p in found.problems)


def test_clique_signers_recovered() -> None:
    keys = make_keys(3)
    chain = Chain("clique", keys)
    chain.mine(9)
    found = probe_all(chain)["clique"]
    assert found.identified_by_headers and found.identified_by_rpc
    assert set(found.validators) == set(chain.validator_addresses())
    assert set(found.distinct_sealers) == set(chain.validator_addresses())
    assert found.fault_tolerance == clique_fault_tolerance(3) == 1
    assert found.problems == ()
    assert not probe_all(chain)["qbft"].identified_by_headers


def test_clique_signer_limit_and_outsider() -> None:
    keys = make_keys(3)
    chain = Chain("clique", keys)
    chain.mine(3)
    chain.mine(1, sealers=[keys[0]])
    chain.mine(1, sealers=[keys[0]])
    chain.mine(1, sealers=make_keys(1, seed=42))
    found = probe_all(chain)["clique"]
    assert found.identified_by_headers
    assert any("sealed again" in p for p in found.problems)
    assert any("not an authorised signer" in p for p in found.problems)


def test_clique_without_rpc_uses_the_genesis_checkpoint() -> None:
    chain = Chain("clique", make_keys(3))
    chain.mine(4)
    found = probe_all(chain, disabled={"clique_getSigners"})["clique"]
    assert found.identified_by_rpc is False
    assert set(found.validators) == set(chain.validator_addresses())
    assert found.problems == ()
