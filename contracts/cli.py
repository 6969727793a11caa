"""``permitchain contracts``: compile the registries, check the artifacts, deploy them, read a status.

``deploy --in-process`` runs an eth-tester chain inside this process (what ``./scripts/run`` shows until
the node network exists: the chain vanishes when the command ends); ``deploy --rpc URL
--private-key-file F`` deploys to a node with raw signed transactions. The key is read from a file,
never from the command line (it would show in ``ps`` and shell history), and never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from contracts.artifacts import ARTIFACTS_DIR
from contracts.compile import check_artifacts, write_artifacts
from contracts.deploy import RegistryAddresses, deploy_registries
from contracts.exceptions import ArtifactError, ContractsError
from contracts.permit_dates import calendar_dates
from contracts.registry_reader import RegistryReader
from contracts.transactions import DEFAULT_RECEIPT_TIMEOUT_S
from permitchain.rule_profile import default_profile

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


def _read_addresses(path: Path) -> RegistryAddresses:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContractsError(f"addresses file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractsError(f"{path}: not a JSON addresses file") from exc
    return RegistryAddresses.from_json(data)


def _moment(text: str | None, w3: Web3) -> int:
    """``--at``: unix seconds or an ISO 8601 date-time with its offset; default the latest block's time."""
    if text is None:
        return int(w3.eth.get_block("latest")["timestamp"])
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ContractsError(f"--at must be unix seconds or an ISO date-time, got {text!r}") from exc
    if moment.tzinfo is None:
        raise ContractsError("--at needs a UTC offset, e.g. 2026-03-01T12:00:00+05:00")
    return int(moment.timestamp())


def _local_iso(seconds: int, tz: ZoneInfo) -> str | None:
    return dt.datetime.fromtimestamp(seconds, tz).isoformat() if seconds else None


def _status(args: argparse.Namespace) -> int:
    addresses = _read_addresses(args.addresses)
    w3 = _rpc_web3(args.rpc)
    if int(w3.eth.chain_id) != addresses.chain_id:
        raise ContractsError(
            f"the node is on chain {w3.eth.chain_id}, the addresses are for {addresses.chain_id}"
        )
    at = _moment(args.at, w3)
    tz = default_profile().timezone
    reader = RegistryReader(
        w3, permit_registry=addresses.permit_registry, issuer_registry=addresses.issuer_registry
    )
    result: dict[str, object] = {"at": at, "at_local": _local_iso(at, tz)}
    try:
        if args.issuer is not None:
            issuer = reader.issuer_status(args.issuer, at)
            result |= {
                "status": issuer.status.name.lower(),
                "issuer_id": issuer.issuer_id,
                "display_name": issuer.display_name,
                "platform_name": issuer.platform_name,
                "permit_hash": "0x" + issuer.permit_hash.hex() if issuer.issuer_id else None,
                "reason": issuer.reason,
                "registered_at": _local_iso(issuer.registered_at, tz),
                "updated_at": _local_iso(issuer.updated_at, tz),
                "valid_until": _local_iso(issuer.valid_until, tz),
            }
        else:
            if args.permit_hash is not None:
                permit = reader.permit_status(_hash_arg(args.permit_hash), at)
            else:
                permit = reader.permit_status_by_number(args.permit_number, at)
            found = permit.issuer_id is not None
            issued_on, last_day = (
                calendar_dates(permit.issued_at, permit.valid_until, tz) if found else (None, None)
            )
            result |= {
                "status": permit.status.name.lower(),
                "permit_hash": "0x" + permit.permit_hash.hex() if found else None,
                "permit_number": permit.permit_number or None,
                "issuer_id": permit.issuer_id,
                "issued_on": issued_on.isoformat() if issued_on else None,
                "last_valid_day": last_day.isoformat() if last_day else None,
                "anchored_at": _local_iso(permit.anchored_at, tz),
                "changed_at": _local_iso(permit.changed_at, tz),
                "reason": permit.reason,
            }
    except (BadFunctionCallOutput, ContractLogicError) as exc:
        raise ContractsError(f"no registry answers at {addresses.permit_registry} on {args.rpc}") from exc
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


def _hash_arg(text: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError as exc:
        raise ContractsError(f"--permit-hash must be 32 bytes of hex, got {text!r}") from exc
    if len(value) != 32:
        raise ContractsError(f"--permit-hash must be 32 bytes of hex, got {len(value)} bytes")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("contracts", help="compile, check, deploy and read the registry contracts")
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

    status_parser = commands.add_parser(
        "status", help="a permit's or an issuer's status at a moment, as JSON"
    )
    status_parser.add_argument("--rpc", metavar="URL", required=True, help="JSON-RPC URL of a node")
    status_parser.add_argument(
        "--addresses", type=Path, required=True, metavar="FILE", help="the JSON printed by `contracts deploy`"
    )
    which = status_parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--permit-hash", metavar="HEX", help="hash of the signed permit (32 bytes)")
    which.add_argument("--permit-number", metavar="NUMBER", help="the permit's number")
    which.add_argument("--issuer", metavar="BIN_OR_IIN", help="the issuer's 12-digit BIN or IIN")
    status_parser.add_argument(
        "--at", help="unix seconds or ISO date-time with offset (default: the latest block's time)"
    )
    status_parser.set_defaults(handler=_status)
