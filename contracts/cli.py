"""``permitchain contracts``: compile the registries, check the artifacts, deploy them.

``deploy --in-process`` runs an eth-tester chain inside this process (what ``./scripts/run`` shows until
the node network exists: the chain vanishes when the command ends); ``deploy --rpc URL
--private-key-file F`` deploys to a node with raw signed transactions. The key is read from a file,
never from the command line (it would show in ``ps`` and shell history), and never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlparse

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3

from contracts.artifacts import ARTIFACTS_DIR
from contracts.compile import check_artifacts, write_artifacts
from contracts.deploy import deploy_registries
from contracts.exceptions import ArtifactError, ContractsError
from contracts.transactions import DEFAULT_RECEIPT_TIMEOUT_S

MAX_KEY_FILE_BYTES = 4096


def _compile(args: argparse.Namespace) -> int:
    if args.check:
        stale = [check for check in check_artifacts(artifacts_dir=args.artifacts_dir) if not check.up_to_date]
        for check in stale:
            print(f"stale: {check.path}", file=sys.stderr)
        if stale:
            raise ArtifactError("artifacts do not match the sources; run `permitchain contracts compile`")
        print("artifacts are up to date")
        return 0
    for path in write_artifacts(artifacts_dir=args.artifacts_dir):
        print(f"wrote {path}")
    return 0


def read_private_key(path: Path) -> LocalAccount:
    """A 32-byte hex key (``0x`` optional) alone in a file; errors never echo the file's content."""
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise ContractsError(f"{path}: too large for a private key file")
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise ContractsError(f"private key file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractsError(f"cannot read private key file {path}") from exc
    hex_part = text.removeprefix("0x")
    if len(hex_part) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hex_part):
        raise ContractsError(f"{path}: expected one 32-byte hex private key")
    try:
        account: LocalAccount = Account.from_key("0x" + hex_part)
    except ValueError as exc:
        raise ContractsError(f"{path}: not a valid secp256k1 private key") from exc
    return account


def _rpc_web3(url: str) -> Web3:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ContractsError(f"--rpc must be an http(s) URL, got {url!r}")
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise ContractsError(f"no JSON-RPC node answers at {url}")
    return w3


def _deploy(args: argparse.Namespace) -> int:
    admin: LocalAccount | str
    if args.in_process:
        w3 = Web3(EthereumTesterProvider())
        admin = w3.eth.accounts[0]
    else:
        if args.private_key_file is None:
            raise ContractsError("--rpc needs --private-key-file")
        admin = read_private_key(args.private_key_file)
        w3 = _rpc_web3(args.rpc)
    deployer = admin if isinstance(admin, str) else admin.address
    registrars: list[str] = args.registrar or [deployer]
    addresses = deploy_registries(
        w3, admin=admin, registrars=registrars, gas_price=args.gas_price, receipt_timeout_s=args.timeout
    )
    result = {"network": "in-process eth-tester" if args.in_process else args.rpc, **addresses.to_json()}
    print(json.dumps(result, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("contracts", help="compile, check and deploy the registry contracts")
    commands = parser.add_subparsers(dest="contracts_command", metavar="ACTION", required=True)

    compile_parser = commands.add_parser("compile", help="compile contracts/src into contracts/artifacts")
    compile_parser.add_argument(
        "--check", action="store_true", help="write nothing; exit non-zero when the artifacts are stale"
    )
    compile_parser.add_argument(
        "--artifacts-dir",
        type=Path,
        default=ARTIFACTS_DIR,
        help=f"where artifacts live (default {ARTIFACTS_DIR})",
    )
    compile_parser.set_defaults(handler=_compile)

    deploy_parser = commands.add_parser("deploy", help="deploy IssuerRegistry + PermitRegistry, print JSON")
    target = deploy_parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--in-process", action="store_true", help="deploy to a throw-away eth-tester chain")
    target.add_argument("--rpc", metavar="URL", help="JSON-RPC URL of a node")
    deploy_parser.add_argument(
        "--private-key-file", type=Path, help="file holding the deploying (admin) account's hex key"
    )
    deploy_parser.add_argument(
        "--registrar",
        action="append",
        metavar="ADDRESS",
        help="registrar account (repeatable; default: the deploying account)",
    )
    deploy_parser.add_argument(
        "--gas-price", type=int, default=None, help="legacy gas price in wei (0 on a zero-fee chain)"
    )
    deploy_parser.add_argument(
        "--timeout", type=float, default=DEFAULT_RECEIPT_TIMEOUT_S, help="seconds to wait for each receipt"
    )
    deploy_parser.set_defaults(handler=_deploy)
