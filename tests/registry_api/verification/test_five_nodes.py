"""Verification straight against any validator of the shared five-node QBFT devnet: a permit anchored
through one node verifies, with the same block and transaction, through another."""

from __future__ import annotations

import time

import pytest

from permitchain.cli import main
from registry_api.verification.web3_view import connect
from tests.registry_api.verification.devnet_env import chain_env_on
from tests.registry_api.verification.test_verify_cli import _argv, _files

pytestmark = [pytest.mark.slow, pytest.mark.network]
ADMIN_ACCOUNT, REGISTRAR_ACCOUNT = 5, 6  # other users of devnet5 take accounts from 0 up and the last one


def test_the_cli_against_another_validator(devnet5, tmp_path, capsys):
    env = chain_env_on(
        tmp_path,
        devnet5.urls[0],
        admin_key=devnet5.account(ADMIN_ACCOUNT).private_key,
        registrar_key=devnet5.account(REGISTRAR_ACCOUNT).private_key,
    )
    permit = env.make_permit()
    assert permit.anchor is not None
    other = connect(devnet5.urls[3])
    deadline = time.monotonic() + 30
    while other.eth.block_number < permit.anchor.block_number:  # QBFT: final once imported
        assert time.monotonic() < deadline, "node 4 did not import the anchoring block"
        time.sleep(0.2)
    doc, sig = _files(env, tmp_path, permit)
    argv = _argv(env, doc, sig, "--json")
    argv[argv.index("--rpc") + 1] = devnet5.urls[3]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert '"verdict": "valid"' in out
    assert f'"block_number": {permit.anchor.block_number}' in out
