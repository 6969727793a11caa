"""``permitchain registrar keystore|rotate`` against the one-node devnet: the admin retires a key."""

from __future__ import annotations

import pytest

from contracts.artifacts import load_artifact
from permitchain.cli import main
from registry_api.chain.keystore import open_keystore
from tests.registry_api.anchoring.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_keystore_and_rotation_from_the_command_line(deployment, tmp_path, capsys) -> None:
    new = deployment.devnet.accounts[3]
    key_file = tmp_path / "new.key"
    key_file.write_text(new.key.hex())
    password_file = tmp_path / "new.password"
    password_file.write_text(PASSWORD + "\n")
    out = tmp_path / "new.keystore.json"
    assert (
        main(
            [
                "registrar",
                "keystore",
                "--key-file",
                str(key_file),
                "--password-file",
                str(password_file),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert open_keystore(out, PASSWORD).address == new.address
    assert new.key.hex() not in out.read_text()

    admin_file = tmp_path / "admin.key"
    admin_file.write_text(deployment.admin.key.hex())
    argv = [
        "registrar",
        "rotate",
        "--rpc",
        deployment.devnet.rpc[0],
        "--addresses",
        str(deployment.addresses_file),
        "--admin-key-file",
        str(admin_file),
        "--new",
        new.address,
        "--old",
        deployment.registrar.address,
    ]
    assert main(argv) == 0
    permits = deployment.devnet.w3.eth.contract(
        address=deployment.addresses.permit_registry,
        abi=load_artifact("PermitRegistry").abi,
    )
    assert permits.functions.is_registrar(new.address).call()
    assert not permits.functions.is_registrar(deployment.registrar.address).call()

    # The retired registrar cannot rotate anything: only the admin may.
    registrar_file = tmp_path / "old.key"
    registrar_file.write_text(deployment.registrar.key.hex())
    capsys.readouterr()
    refused = [*argv[:6], "--admin-key-file", str(registrar_file), "--new", deployment.registrar.address]
    assert main(refused) != 0
    assert capsys.readouterr().err.startswith("error:")
