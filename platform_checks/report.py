"""The signed report: a JSON document a reviewer can attach to an application and check later.

``{"body": …, "content_hash": "sha256:<hex>", "signature": {…}}``. ``content_hash`` is SHA-256 of the
RFC 8785 (JCS) canonical JSON of ``body``, so any byte-level re-serialisation of the document keeps the
hash; the regulator's Ed25519 key signs ``SIGNING_CONTEXT + content_hash`` (domain-separated so the
signature cannot be replayed as some other kind of document). The layout is fixed by
``report.schema.json`` beside this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from importlib import resources
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing
import rfc8785

from platform_checks.exceptions import ReportVerificationError, SigningKeyError

REPORT_SCHEMA_ID = "permitchain/platform-check-report@1"
SIGNING_CONTEXT = b"permitchain platform-check report v1\n"
SIGNATURE_ALGORITHM = "Ed25519"
SEED_BYTES = 32


def report_schema() -> dict[str, Any]:
    """The JSON Schema of a signed report (shipped with the package)."""
    text = resources.files("platform_checks").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def content_hash(body: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the RFC 8785 canonical form of ``body``."""
    try:
        canonical = rfc8785.dumps(body)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ReportVerificationError(f"report body cannot be canonicalised: {exc}") from exc
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def sign_report(body: dict[str, Any], key: nacl.signing.SigningKey) -> dict[str, Any]:
    digest = content_hash(body)
    signed = key.sign(SIGNING_CONTEXT + digest.encode("ascii"))
    return {
        "body": body,
        "content_hash": digest,
        "signature": {
            "algorithm": SIGNATURE_ALGORITHM,
            "public_key": key.verify_key.encode().hex(),
            "value": base64.b64encode(signed.signature).decode("ascii"),
        },
    }


def _public_key_bytes(public_key: bytes | str) -> bytes:
    if isinstance(public_key, str):
        try:
            public_key = bytes.fromhex(public_key.removeprefix("0x"))
        except ValueError as exc:
            raise ReportVerificationError("public key is not hex") from exc
    if len(public_key) != SEED_BYTES:
        raise ReportVerificationError("an Ed25519 public key is 32 bytes")
    return public_key


def verify_report(report: Any, public_key: bytes | str) -> dict[str, Any]:
    """Check the content hash and the signature against ``public_key``; return the body.

    Raises :class:`ReportVerificationError` when the document is not a report, was changed after
    signing, or was signed by another key.
    """
    expected = _public_key_bytes(public_key)
    if not isinstance(report, dict) or not isinstance(report.get("body"), dict):
        raise ReportVerificationError("not a platform check report")
    signature = report.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
        raise ReportVerificationError("report signature missing or not Ed25519")
    body: dict[str, Any] = report["body"]
    if body.get("schema") != REPORT_SCHEMA_ID:
        raise ReportVerificationError(f"not a {REPORT_SCHEMA_ID} report")
    digest = content_hash(body)
    if report.get("content_hash") != digest:
        raise ReportVerificationError("content hash does not match the report body (altered?)")
    if signature.get("public_key") != expected.hex():
        raise ReportVerificationError("report was signed by a different key")
    try:
        raw_signature = base64.b64decode(str(signature.get("value")), validate=True)
        nacl.signing.VerifyKey(expected).verify(SIGNING_CONTEXT + digest.encode("ascii"), raw_signature)
    except (ValueError, nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError) as exc:
        raise ReportVerificationError("report signature is not valid") from exc
    return body


def load_signing_key(path: Path) -> nacl.signing.SigningKey:
    """Read a 32-byte Ed25519 seed (64 hex characters) from a file only its owner may read."""
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise SigningKeyError(f"signing key file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"cannot read signing key file {path}: {type(exc).__name__}") from exc
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(f"signing key file {path} is readable by others; chmod 600 it")
    try:
        seed = bytes.fromhex(text)
    except ValueError as exc:
        raise SigningKeyError(f"signing key file {path} does not hold a hex seed") from exc
    if len(seed) != SEED_BYTES:
        raise SigningKeyError(f"signing key file {path} must hold a 32-byte seed (64 hex characters)")
    return nacl.signing.SigningKey(seed)


def write_new_signing_key(path: Path) -> nacl.signing.SigningKey:
    """Create a fresh key file readable only by its owner; refuse to overwrite an existing one."""
    key = nacl.signing.SigningKey.generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SigningKeyError(f"refusing to overwrite existing key file {path}") from exc
    except OSError as exc:
        raise SigningKeyError(f"cannot create key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.encode().hex() + "\n")
    return key
