"""``permitchain platform-check URL [URL ...]``: probe a platform and print a table or a signed report.

Run by a person on their own behalf, so private and loopback addresses are allowed by default
(``--no-allow-private`` to refuse them as the service does). ``--min-nodes`` overrides the rule
profile's minimum for exploration only; the report records that it was overridden. Bearer tokens are
read from a JSON file ``{"<url>": "<token>"}`` (never from the command line, where ``ps`` shows them).

Exit status: 0 pass, 1 fail, 3 unknown (2 is argparse's usage error).

Also: ``platform-check-keygen PATH`` creates the regulator's Ed25519 key file and prints its public
key; ``platform-check-verify REPORT --public-key HEX`` checks a saved report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from permitchain.rule_profile import DEFAULT_PROFILE_KEY, bundled_catalog
from platform_checks.endpoints import Endpoint, parse_endpoint
from platform_checks.exceptions import PlatformCheckError
from platform_checks.model import CheckStatus
from platform_checks.report import content_hash, load_signing_key, verify_report, write_new_signing_key
from platform_checks.runner import PlatformCheckRun, run_platform_check
from platform_checks.settings import CheckSettings

EXIT_CODES = {CheckStatus.PASS: 0, CheckStatus.FAIL: 1, CheckStatus.UNKNOWN: 3}
MAX_TOKEN_FILE_BYTES = 65_536


def _load_tokens(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlatformCheckError(f"cannot read token file {path}: {exc.strerror}") from exc
    if len(raw) > MAX_TOKEN_FILE_BYTES:
        raise PlatformCheckError(f"token file {path} is too large")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise PlatformCheckError(f"token file {path} is not JSON") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise PlatformCheckError(f'token file {path} must be a JSON object {{"<url>": "<token>"}}')
    return data


def _endpoints(urls: list[str], tokens: dict[str, str]) -> list[Endpoint]:
    unknown = set(tokens) - set(urls)
    if unknown:
        raise PlatformCheckError(f"token file names URLs not given on the command line: {sorted(unknown)}")
    return [parse_endpoint(url, tokens.get(url)) for url in urls]


def render_table(run: PlatformCheckRun) -> str:
    """A readable table: one row per check, then the verdict and the report's content hash."""
    rows = [(r.check.value, r.status.value.upper(), r.summary) for r in run.results]
    width_id = max(len("CHECK"), *(len(r[0]) for r in rows))
    lines = [f"{'CHECK':<{width_id}}  STATUS   SUMMARY", f"{'-' * width_id}  -------  -------"]
    lines += [f"{cid:<{width_id}}  {status:<7}  {summary}" for cid, status, summary in rows]
    lines.append("")
    lines.append(
        f"verdict: {run.verdict.value.upper()}   (minimum {run.min_nodes} nodes, {run.min_nodes_source})"
    )
    lines.append(f"content hash: {content_hash(run.body())}")
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> int:
    profile = bundled_catalog().get(args.profile_key)
    key = load_signing_key(args.signing_key) if args.signing_key is not None else None
    if args.json and key is None:
        raise PlatformCheckError("--json prints a signed report: give --signing-key FILE")
    settings = CheckSettings(
        allow_private=args.allow_private,
        call_timeout_s=args.timeout,
        liveness_window_s=args.window,
        liveness_poll_s=min(2.0, args.window),
    )
    endpoints = _endpoints(args.urls, _load_tokens(args.tokens))
    run = asyncio.run(
        run_platform_check(endpoints, profile=profile, settings=settings, min_nodes_override=args.min_nodes)
    )
    if args.json:
        if key is None:  # pragma: no cover - refused above
            raise PlatformCheckError("no signing key")
        print(json.dumps(run.signed_report(key), ensure_ascii=False, indent=2))
    else:
        print(render_table(run))
    return EXIT_CODES[run.verdict]


def _keygen(args: argparse.Namespace) -> int:
    key = write_new_signing_key(args.path)
    print(key.verify_key.encode().hex())
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        report: Any = json.loads(args.report.read_bytes())
    except OSError as exc:
        raise PlatformCheckError(f"cannot read report {args.report}: {exc.strerror}") from exc
    except ValueError as exc:
        raise PlatformCheckError(f"report {args.report} is not JSON") from exc
    body = verify_report(report, args.public_key)
    print(
        f"signature valid; verdict {str(body.get('verdict')).upper()}; content hash {report['content_hash']}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "platform-check",
        help="prove an applicant's platform runs enough distinct nodes of one network with a real consensus",
    )
    parser.add_argument("urls", nargs="+", metavar="URL", help="node JSON-RPC endpoint (http or https)")
    parser.add_argument("--json", action="store_true", help="print the signed report instead of a table")
    parser.add_argument("--signing-key", type=Path, help="regulator's Ed25519 key file (hex seed, mode 600)")
    parser.add_argument("--tokens", type=Path, help='JSON file {"<url>": "<bearer token>"}')
    parser.add_argument(
        "--min-nodes",
        type=int,
        help="override the rule profile's minimum (exploration only; the report records the override)",
    )
    parser.add_argument("--profile-key", default=DEFAULT_PROFILE_KEY, help="rule profile key")
    parser.add_argument(
        "--allow-private",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="probe loopback/private addresses (default on for the CLI; the service keeps it off)",
    )
    parser.add_argument("--window", type=float, default=30.0, help="liveness window in seconds")
    parser.add_argument("--timeout", type=float, default=5.0, help="per-call timeout in seconds")
    parser.set_defaults(handler=_check)

    keygen = subparsers.add_parser("platform-check-keygen", help="create a report signing key file")
    keygen.add_argument("path", type=Path)
    keygen.set_defaults(handler=_keygen)

    verify = subparsers.add_parser("platform-check-verify", help="verify a signed platform check report")
    verify.add_argument("report", type=Path)
    verify.add_argument("--public-key", required=True, help="regulator's Ed25519 public key (hex)")
    verify.set_defaults(handler=_verify)
