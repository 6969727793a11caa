"""``permitchain verify``: check a permit straight against any node, trusting no one but the chain and
the regulator's root certificate(s) — no registry service involved.

Exit status: 0 only when the verdict is ``valid``; 1 when a check failed; 3 when nothing failed but
something could not be checked (e.g. no ``--signature`` given).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from contracts.deploy import RegistryAddresses
from kz_eds import EdsError, TrustStore
from permitchain.errors import PermitChainError
from permitchain.rule_profile import default_profile
from registry_api.verification.exceptions import VerificationInputError
from registry_api.verification.moments import parse_moment
from registry_api.verification.report import Verdict, VerificationReport
from registry_api.verification.signature_check import SignaturePolicy
from registry_api.verification.verifier import Evidence, verify_permit
from registry_api.verification.web3_view import Web3RegistryView, connect

MAX_FILE_BYTES = 4 * 1024 * 1024
EXIT_INVALID = 1
EXIT_UNCONFIRMED = 3
MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "????"}


def _read(path: Path, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise VerificationInputError(f"{what} {path} is {size} bytes; the limit is {MAX_FILE_BYTES}")
        return path.read_bytes()
    except OSError as exc:
        raise VerificationInputError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _addresses(path: Path) -> RegistryAddresses:
    try:
        return RegistryAddresses.from_json(json.loads(_read(path, "contracts file")))
    except ValueError as exc:
        raise VerificationInputError(f"{path} is not a registry addresses JSON file: {exc}") from exc


def _trust(args: argparse.Namespace) -> TrustStore:
    if not args.trust_root:
        raise VerificationInputError("give at least one --trust-root (the regulator's root certificate)")
    try:
        return TrustStore.from_files(args.trust_root, intermediates=args.intermediate, crls=args.crl)
    except EdsError as exc:
        raise VerificationInputError(f"trust anchors: {exc.message}") from exc


def _print(report: VerificationReport) -> None:
    print(f"permit {report.permit_number or '?'}  sha256 {report.permit_hash or '?'}")
    print(f"judged at {report.at.isoformat()}")
    for check in report.checks:
        print(f"  [{MARK[check.outcome.value]}] {check.code.value:<9} {check.reason}")
    for note in report.notes:
        print(f"  note {note['code']}: {note['message']}")
    print(f"verdict: {report.verdict.value}")


def _run(args: argparse.Namespace) -> int:
    profile = default_profile()
    regulator_bin = args.regulator_bin or os.environ.get("REGISTRY_REGULATOR_BIN", "")
    if not regulator_bin:
        raise VerificationInputError(
            "give --regulator-bin (or set REGISTRY_REGULATOR_BIN): whose permits these are"
        )
    document = _read(args.file, "document")
    signature = _read(args.signature, "signature") if args.signature else None
    addresses = _addresses(args.contracts)
    view = Web3RegistryView(
        connect(args.rpc),
        permit_registry=addresses.permit_registry,
        issuer_registry=addresses.issuer_registry,
    )
    report = verify_permit(
        Evidence(document=document, signature=signature),
        chain=view,
        signatures=SignaturePolicy(trust=_trust(args), regulator_bin=regulator_bin),
        now=dt.datetime.now(dt.UTC),
        at=parse_moment(args.at, profile.timezone) if args.at else None,
        tz=profile.timezone,
    )
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        _print(report)
    return {Verdict.VALID: 0, Verdict.INVALID: EXIT_INVALID, Verdict.UNCONFIRMED: EXIT_UNCONFIRMED}[
        report.verdict
    ]


def _handler(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except PermitChainError:
        raise
    except (ValueError, OSError) as exc:  # e.g. a malformed URL handed to the HTTP client
        raise VerificationInputError(str(exc)) from exc


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="verify a permit against a node (integrity, signature, anchor, status, validity, issuer)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="the permit's canonical JSON document")
    parser.add_argument("--signature", type=Path, help="its detached CMS signature (.p7s)")
    parser.add_argument("--rpc", required=True, help="JSON-RPC URL of any node of the chain")
    parser.add_argument("--contracts", type=Path, required=True, help="registry addresses JSON")
    parser.add_argument(
        "--trust-root", type=Path, action="append", default=[], help="trusted root certificate (repeatable)"
    )
    parser.add_argument(
        "--intermediate", type=Path, action="append", default=[], help="intermediate CA certificate"
    )
    parser.add_argument("--crl", type=Path, action="append", default=[], help="CRL file (repeatable)")
    parser.add_argument("--regulator-bin", help="the regulator's BIN (default $REGISTRY_REGULATOR_BIN)")
    parser.add_argument("--at", help="judge at this moment: unix seconds, YYYY-MM-DD or ISO date-time")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.set_defaults(handler=_handler)
