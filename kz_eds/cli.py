"""``permitchain eds …`` (verify and sign CMS) and ``permitchain pki …`` (the development PKI)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

from kz_eds.cms_verification import verify_cms
from kz_eds.dev_pki import ALGORITHMS, DevPki, generate_dev_pki
from kz_eds.exceptions import CertificateParseError, EdsConfigError
from kz_eds.policy import VerificationPolicy
from kz_eds.profile import parse_kz_certificate
from kz_eds.results import VerificationResult
from kz_eds.signing import Timestamper, load_signer, sign_cms
from kz_eds.trust import HttpFetcher, TrustStore

PASSWORD_ENV = "KZ_EDS_KEY_PASSWORD"  # noqa: S105 - the name of a variable
_MAX_FILE_BYTES = 64 * 1024 * 1024


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise EdsConfigError(f"{what} {path} is larger than 64 MiB")
        return path.read_bytes()
    except OSError as exc:
        raise EdsConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc


def _when(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise EdsConfigError(f"--at must be an ISO date-time, got {text!r}") from exc
    if moment.tzinfo is None:
        raise EdsConfigError("--at needs a time zone, e.g. 2026-05-04T10:00:00+05:00")
    return moment


def _print_result(result: VerificationResult) -> None:
    print("VALID" if result.valid else "INVALID")
    signer = result.signer
    if signer is not None:
        print(f"signer:     {signer.common_name or signer.subject}")
        print(f"IIN:        {signer.iin or '-'}")
        print(
            f"BIN:        {signer.bin or '-'}" + (f" ({signer.organisation})" if signer.organisation else "")
        )
        print(f"purpose:    {signer.purpose}")
        print(f"roles:      {', '.join(signer.roles) or '-'}")
        print(f"algorithm:  {signer.algorithm}")
    if result.signing_time:
        print(f"signed at:  {result.signing_time.isoformat()} (claimed)")
    if result.timestamp_time:
        print(f"time-stamp: {result.timestamp_time.isoformat()}")
    for index, subject in enumerate(result.chain):
        print(("chain:      " if index == 0 else "            ") + subject)
    print(f"revocation: {result.revocation.value}")
    for reason in result.reasons:
        print(f"reason:     [{reason.code.value}] {reason.message}")


def _verify(args: argparse.Namespace) -> int:
    if not args.trust_root:
        raise EdsConfigError("give at least one --trust-root certificate")
    trust = TrustStore.from_files(
        args.trust_root,
        intermediates=args.intermediate,
        crls=args.crl,
        crl_urls=args.crl_url,
        fetcher=HttpFetcher() if args.crl_url else None,
    )
    policy = VerificationPolicy(
        require_signing_purpose=not args.allow_authentication,
        expected_iin=args.expected_iin,
        expected_bin=args.expected_bin,
        require_right_to_sign=args.require_right_to_sign,
        allow_signing_time_without_tsp=not args.require_timestamp,
        accept_test_pki_identifiers=args.accept_test_identifiers,
        require_revocation_check=not args.no_revocation,
    )
    data = _read(args.data, "document") if args.data else None
    result = verify_cms(
        _read(args.signature, "signature"), data=data, trust=trust, policy=policy, now=_when(args.at)
    )
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        _print_result(result)
    return 0 if result.valid else 1


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file is not None:
        return _read(args.password_file, "password file").decode("utf-8").strip()
    return os.environ.get(PASSWORD_ENV)


def _sign(args: argparse.Namespace) -> int:
    signer = load_signer(args.key, args.cert, _password(args))
    now = _when(args.at)
    timestamper: Timestamper | None = None
    if args.timestamp_pki is not None:
        timestamper = DevPki.load(args.timestamp_pki).tsa(signer.algorithm).timestamper(now)
    signature = sign_cms(
        _read(args.data, "document"),
        signer,
        signing_time=now,
        detached=not args.attached,
        timestamper=timestamper,
    )
    try:
        args.out.write_bytes(signature)
    except OSError as exc:
        raise EdsConfigError(f"cannot write {args.out}: {exc.strerror}") from exc
    print(f"wrote {'attached' if args.attached else 'detached'} {signer.algorithm} signature to {args.out}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    try:
        profile = parse_kz_certificate(_read(args.certificate, "certificate"))
    except CertificateParseError as exc:
        raise EdsConfigError(f"{args.certificate}: {exc.message}") from exc
    body = {
        "subject": profile.subject,
        "issuer": profile.issuer,
        "serial": profile.serial_number,
        "iin": profile.iin,
        "bin": profile.bin,
        "organisation": profile.organisation,
        "common_name": profile.common_name,
        "purpose": profile.purpose,
        "roles": list(profile.roles),
        "policies": list(profile.policies),
        "key_usage": sorted(profile.key_usage),
        "algorithm": profile.algorithm,
        "not_before": profile.not_before.isoformat(),
        "not_after": profile.not_after.isoformat(),
        "is_ca": profile.is_ca,
    }
    print(json.dumps(body, ensure_ascii=False, indent=2))
    return 0


def _pki_init(args: argparse.Namespace) -> int:
    pki = generate_dev_pki(
        args.directory, now=_when(None), force=args.force, algorithms=args.algorithm or ALGORITHMS
    )
    files = pki.manifest["files"]
    count = len(files) if isinstance(files, list) else 0
    print(f"development PKI written to {args.directory} ({count} files, see manifest.json)")
    print("private keys and the PKCS#12 password file are 0600 development secrets: never commit them")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    eds = subparsers.add_parser("eds", help="verify or make Kazakh EDS (CMS) signatures")
    eds_sub = eds.add_subparsers(dest="eds_command", metavar="ACTION", required=True)

    verify = eds_sub.add_parser("verify", help="verify a CMS signature (DER, PEM or base64)")
    verify.add_argument("signature", type=Path)
    verify.add_argument("--data", type=Path, help="the signed document (for a detached signature)")
    verify.add_argument(
        "--trust-root", type=Path, action="append", default=[], help="trusted root (repeatable)"
    )
    verify.add_argument(
        "--intermediate", type=Path, action="append", default=[], help="intermediate CA certificate"
    )
    verify.add_argument("--crl", type=Path, action="append", default=[], help="CRL file (repeatable)")
    verify.add_argument(
        "--crl-url", action="append", default=[], help="CRL to fetch over http(s) (repeatable)"
    )
    verify.add_argument("--expected-iin", help="require this signer IIN")
    verify.add_argument("--expected-bin", help="require this legal entity BIN")
    verify.add_argument(
        "--require-right-to-sign", action="store_true", help="first head or right-to-sign role"
    )
    verify.add_argument(
        "--require-timestamp", action="store_true", help="refuse a signing time without a TSP"
    )
    verify.add_argument(
        "--allow-authentication", action="store_true", help="accept authentication certificates"
    )
    verify.add_argument("--accept-test-identifiers", action="store_true", help="NCA test PKI IINs/BINs")
    verify.add_argument("--no-revocation", action="store_true", help="do not require a revocation answer")
    verify.add_argument("--at", help="verification time (ISO 8601 with zone; default now)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(handler=_verify)

    inspect = eds_sub.add_parser(
        "inspect", help="show a certificate's NCA profile (IIN, BIN, purpose, roles)"
    )
    inspect.add_argument("certificate", type=Path)
    inspect.set_defaults(handler=_inspect)

    sign = eds_sub.add_parser("sign", help="sign a document with a PKCS#12 or PEM key (development side)")
    sign.add_argument("--key", type=Path, required=True, help="PKCS#12 (.p12) or PEM PKCS#8 key")
    sign.add_argument("--cert", type=Path, help="certificate (PEM) when --key is a PEM key")
    sign.add_argument("--password-file", type=Path, help=f"key password file (or set {PASSWORD_ENV})")
    sign.add_argument("--data", type=Path, required=True)
    sign.add_argument("--out", type=Path, required=True)
    sign.add_argument("--attached", action="store_true", help="embed the document (default: detached)")
    sign.add_argument("--timestamp-pki", type=Path, help="dev PKI folder whose TSA stamps the signature")
    sign.add_argument("--at", help="signing time (ISO 8601 with zone; default now)")
    sign.set_defaults(handler=_sign)

    pki = subparsers.add_parser("pki", help="development PKI shaped like the NCA RK's")
    pki_sub = pki.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    init = pki_sub.add_parser("init", help="generate roots, CAs, applicants, CRLs and a TSA into DIR")
    init.add_argument("directory", type=Path)
    init.add_argument("--force", action="store_true", help="replace an existing dev PKI in DIR")
    init.add_argument(
        "--algorithm", action="append", choices=ALGORITHMS, help="only this algorithm (repeatable)"
    )
    init.set_defaults(handler=_pki_init)
