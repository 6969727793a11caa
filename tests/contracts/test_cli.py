"""``permitchain contracts``: compile / check, and deploy in-process or to a real JSON-RPC node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak
from web3 import Web3

from contracts.artifacts import CONTRACT_NAMES
from contracts.registry_reader import RegistryReader
from contracts.statuses import PermitStatus
from node.rpc import create_rpc_app
from permitchain.cli import main
from tests.node.rpc.pyevm_node import ReferenceNode
from tests.node.rpc.serving import serve

DEPLOYER = PrivateKey(keccak(b"contracts cli deployer"))


@pytest.fixture(scope="module")
def node_url() -> Iterator[str]:
    """A real JSON-RPC endpoint: the node's RPC app over uvicorn, on the py-evm reference node."""
    node = ReferenceNode([DEPLOYER], auto_produce=True)
    app = create_rpc_app(reader=node, pool=node, events=node, admin=node, client_version="contracts-test/v0")
    with serve(app) as url:
        yield url


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "deployer.key"
    path.write_text(DEPLOYER.to_hex() + "\n", encoding="ascii")
    return path


def test_compile_writes_and_checks(tmp_path: Path, capsys):
    assert main(["contracts", "compile", "--artifacts-dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.json" for n in CONTRACT_NAMES)
    assert main(["contracts", "compile", "--check", "--artifacts-dir", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out

    (tmp_path / "IssuerRegistry.json").write_text("{}", encoding="utf-8")
    assert main(["contracts", "compile", "--check", "--artifacts-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "stale:" in err and "IssuerRegistry.json" in err and "PermitRegistry.json" not in err
    assert "error: artifacts do not match the sources" in err


def test_committed_artifacts_pass_the_check():
    assert main(["contracts", "compile", "--check"]) == 0


def test_deploy_in_process_prints_addresses(capsys):
    assert main(["contracts", "deploy", "--in-process"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["network"] == "in-process eth-tester"
    assert Web3.is_checksum_address(out["permit_registry"])
    assert Web3.is_checksum_address(out["issuer_registry"])
    assert out["permit_registry"] != out["issuer_registry"]
    assert out["registrars"] == [out["admin"]]


def test_deploy_to_a_node_with_raw_signed_transactions(node_url: str, key_file: Path, capsys):
    registrar = Web3().eth.account.create().address
    args = ["contracts", "deploy", "--rpc", node_url, "--private-key-file", str(key_file)]
    assert main([*args, "--registrar", registrar]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["admin"] == DEPLOYER.public_key.to_checksum_address()
    assert out["registrars"] == [registrar]

    w3 = Web3(Web3.HTTPProvider(node_url))
    assert out["chain_id"] == w3.eth.chain_id
    reader = RegistryReader(
        w3, permit_registry=out["permit_registry"], issuer_registry=out["issuer_registry"]
    )
    assert reader.permits.functions.admin().call() == out["admin"]
    assert reader.permits.functions.is_registrar(registrar).call()
    assert reader.permits.functions.issuer_registry().call() == out["issuer_registry"]
    assert reader.permit_status(b"\x01" * 32, 0).status is PermitStatus.NOT_FOUND


def test_deploy_with_zero_gas_price_to_a_zero_fee_node(node_url: str, key_file: Path, capsys):
    args = ["contracts", "deploy", "--rpc", node_url, "--private-key-file", str(key_file), "--gas-price", "0"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["registrars"] == [out["admin"]]  # default: the deploying account


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "expected one 32-byte hex private key"),
        ("0x1234", "expected one 32-byte hex private key"),
        ("zz" * 32, "expected one 32-byte hex private key"),
        ("00" * 32, "not a valid secp256k1 private key"),
        ("0x" + "ab" * 32 + " extra", "expected one 32-byte hex private key"),
    ],
)
def test_bad_key_file_is_a_clear_error_without_the_key(tmp_path: Path, capsys, content: str, message: str):
    path = tmp_path / "key"
    path.write_text(content, encoding="ascii")
    assert main(["contracts", "deploy", "--rpc", "http://127.0.0.1:9", "--private-key-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"error: {path}: {message}" in err
    if content:
        assert content.strip() not in err


def test_deploy_argument_errors(tmp_path: Path, key_file: Path, capsys):
    assert main(["contracts", "deploy", "--rpc", "http://127.0.0.1:9"]) == 1
    assert "error: --rpc needs --private-key-file" in capsys.readouterr().err
    assert (
        main(
            ["contracts", "deploy", "--rpc", "http://127.0.0.1:9", "--private-key-file", str(tmp_path / "x")]
        )
        == 1
    )
    assert "error: private key file not found" in capsys.readouterr().err
    assert (
        main(["contracts", "deploy", "--rpc", "file:///etc/passwd", "--private-key-file", str(key_file)]) == 1
    )
    assert "error: --rpc must be an http(s) URL" in capsys.readouterr().err
    assert (
        main(["contracts", "deploy", "--rpc", "http://127.0.0.1:9", "--private-key-file", str(key_file)]) == 1
    )
    assert "error: no JSON-RPC node answers at http://127.0.0.1:9" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["contracts", "deploy"])
    assert exc.value.code == 2


def test_deploy_reports_a_bad_registrar(node_url: str, key_file: Path, capsys):
    args = [
        "contracts",
        "deploy",
        "--rpc",
        node_url,
        "--private-key-file",
        str(key_file),
        "--registrar",
        "0xnope",
    ]
    assert main(args) == 1
    assert "error: registrar is not an address: '0xnope'" in capsys.readouterr().err
