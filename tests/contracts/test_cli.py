"""``permitchain contracts``: compile / check, and deploy in-process or to a real JSON-RPC node."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak
from web3 import Web3

from contracts.artifacts import CONTRACT_NAMES
from contracts.deploy import deploy_registries
from contracts.permit_dates import window_for_issue
from contracts.registry_reader import RegistryReader
from contracts.registry_writer import RegistryWriter
from contracts.statuses import PermitStatus
from node.rpc import create_rpc_app
from permitchain.cli import main
from permitchain.rule_profile import default_profile
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


@pytest.fixture(scope="module")
def anchored(node_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """Registries on the node with one permit (issued 2025-03-03) and its addresses file."""
    w3 = Web3(Web3.HTTPProvider(node_url))
    key = Account.from_key(DEPLOYER.to_bytes())
    addresses = deploy_registries(w3, admin=key, registrars=[key])
    path = tmp_path_factory.mktemp("devnet") / "addresses.json"
    path.write_text(json.dumps(addresses.to_json()), encoding="utf-8")
    writer = RegistryWriter(
        w3,
        permit_registry=addresses.permit_registry,
        issuer_registry=addresses.issuer_registry,
        registrar=key,
    )
    permit_hash = keccak(b"cli status permit")
    writer.anchor(
        permit_hash=permit_hash,
        permit_number="KZ-CLI-1",
        issuer_id="940140000385",
        window=window_for_issue(dt.date(2025, 3, 3), default_profile()),
        display_name="ТОО «Статус»",
        platform_name="Status Platform",
    )
    return path, permit_hash


def _status(node_url: str, addresses: Path, capsys, *which: str) -> dict[str, Any]:
    assert main(["contracts", "status", "--rpc", node_url, "--addresses", str(addresses), *which]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_status_of_a_permit_by_hash_and_number(node_url: str, anchored, capsys):
    addresses, permit_hash = anchored
    by_hash = _status(
        node_url, addresses, capsys, "--permit-hash", "0x" + permit_hash.hex(), "--at", "1767225600"
    )
    assert by_hash["status"] == "valid"
    assert by_hash["permit_number"] == "KZ-CLI-1"
    assert by_hash["issuer_id"] == "940140000385"
    assert (by_hash["issued_on"], by_hash["last_valid_day"]) == ("2025-03-03", "2028-03-02")
    assert by_hash["at_local"] == "2026-01-01T05:00:00+05:00"
    by_number = _status(node_url, addresses, capsys, "--permit-number", "KZ-CLI-1", "--at", "1767225600")
    assert by_number == by_hash
    expired = _status(
        node_url, addresses, capsys, "--permit-number", "KZ-CLI-1", "--at", "2028-03-03T00:00:00+05:00"
    )
    assert expired["status"] == "expired"
    early = _status(
        node_url, addresses, capsys, "--permit-number", "KZ-CLI-1", "--at", "2025-03-02T23:59:59+05:00"
    )
    assert early["status"] == "not_yet_valid"
    unknown = _status(node_url, addresses, capsys, "--permit-number", "KZ-NONE")
    assert unknown["status"] == "not_found" and unknown["issued_on"] is None


def test_status_of_an_issuer(node_url: str, anchored, capsys):
    addresses, permit_hash = anchored
    issuer = _status(node_url, addresses, capsys, "--issuer", "940140000385")
    assert issuer["status"] == "active"
    assert issuer["display_name"] == "ТОО «Статус»"
    assert issuer["permit_hash"] == "0x" + permit_hash.hex()
    assert _status(node_url, addresses, capsys, "--issuer", "990140004654")["status"] == "not_found"


def test_status_errors(node_url: str, anchored, tmp_path: Path, capsys):
    addresses, _ = anchored
    base = ["contracts", "status", "--rpc", node_url, "--addresses", str(addresses)]
    cases = [
        ([*base, "--permit-hash", "0x1234"], "--permit-hash must be 32 bytes of hex, got 2 bytes"),
        ([*base, "--permit-hash", "xyz"], "--permit-hash must be 32 bytes of hex"),
        ([*base, "--issuer", "12345"], "issuer id must be 12 digits"),
        (
            [*base, "--issuer", "940140000385", "--at", "tomorrow"],
            "--at must be unix seconds or an ISO date-time",
        ),
        ([*base, "--issuer", "940140000385", "--at", "2026-01-01T00:00:00"], "--at needs a UTC offset"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        assert f"error: {message}" in capsys.readouterr().err

    data = json.loads(addresses.read_text(encoding="utf-8"))
    other_chain = tmp_path / "other.json"
    other_chain.write_text(json.dumps({**data, "chain_id": data["chain_id"] + 1}), encoding="utf-8")
    assert (
        main(
            [
                "contracts",
                "status",
                "--rpc",
                node_url,
                "--addresses",
                str(other_chain),
                "--issuer",
                "940140000385",
            ]
        )
        == 1
    )
    assert "error: the node is on chain" in capsys.readouterr().err

    nowhere = tmp_path / "nowhere.json"
    empty = "0x" + "44" * 20
    nowhere.write_text(
        json.dumps({**data, "permit_registry": empty, "issuer_registry": empty}), encoding="utf-8"
    )
    assert (
        main(["contracts", "status", "--rpc", node_url, "--addresses", str(nowhere), "--permit-number", "X"])
        == 1
    )
    assert "error: no registry answers at" in capsys.readouterr().err

    assert (
        main(["contracts", "status", "--rpc", node_url, "--addresses", str(tmp_path / "x"), "--issuer", "1"])
        == 1
    )
    assert "error: addresses file not found" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert (
        main(
            [
                "contracts",
                "status",
                "--rpc",
                node_url,
                "--addresses",
                str(tmp_path / "bad.json"),
                "--issuer",
                "1",
            ]
        )
        == 1
    )
    assert "not a JSON addresses file" in capsys.readouterr().err
