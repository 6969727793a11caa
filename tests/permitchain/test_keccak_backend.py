"""The node and the CLI hash with the C keccak, unless the user chose an eth-hash backend."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import node.chain_service\n"  # imports py-evm, which hashes on import
    "from eth_hash.auto import keccak\n"
    "assert keccak(b'').hex().startswith('c5d2460186f7233c')\n"
    "print(keccak.hasher.__self__.__class__.__module__)\n"
)


def _backend_in_fresh_process(**env_overrides: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ETH_HASH_BACKEND"} | env_overrides
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_importing_the_node_selects_the_c_backend():
    assert _backend_in_fresh_process() == "eth_hash.backends.pysha3"


@pytest.mark.parametrize("chosen", ["pycryptodome", "pysha3"])
def test_a_backend_chosen_in_the_environment_is_kept(chosen):
    assert _backend_in_fresh_process(ETH_HASH_BACKEND=chosen) == f"eth_hash.backends.{chosen}"
