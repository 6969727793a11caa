"""``permitchain verify`` against a real node: exit status follows the verdict; errors are messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from permitchain.cli import main
from tests.registry_api.verification.devnet_env import ALGORITHM

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _trust_args(env) -> list[str]:
    section = env.pki.manifest["algorithms"][ALGORITHM]
    return [
        "--trust-root", str(env.pki.path(section["root"])),
        "--intermediate", str(env.pki.path(section["ca"])),
        "--crl", str(env.pki.path(section["ca_crl"])),
        "--crl", str(env.pki.path(section["root_crl"])),
        "--regulator-bin", env.regulator_bin,
    ]  # fmt: skip


def _files(env, tmp_path, permit, document: bytes | None = None):
    doc = tmp_path / "permit.json"
    doc.write_bytes(document if document is not None else permit.document)
    sig = tmp_path / "permit.json.p7s"
    sig.write_bytes(permit.signature)
    return doc, sig


def _argv(env, doc, sig=None, *extra: str) -> list[str]:
    argv = [
        "verify",
        str(doc),
        "--rpc",
        env.rpc_url,
        "--contracts",
        str(env.contracts_file()),
        *_trust_args(env),
    ]
    if sig is not None:
        argv += ["--signature", str(sig)]
    return [*argv, *extra]


def test_valid_permit_exits_zero_and_prints_each_check(chain_env, tmp_path, capsys):
    permit = chain_env.make_permit()
    doc, sig = _files(chain_env, tmp_path, permit)
    assert main(_argv(chain_env, doc, sig)) == 0
    out = capsys.readouterr().out
    for code in ("integrity", "signature", "anchor", "status", "validity", "issuer"):
        assert f"[PASS] {code}" in out
    assert out.strip().endswith("verdict: valid")


def test_json_and_failing_verdicts_exit_non_zero(chain_env, tmp_path, capsys):
    permit = chain_env.make_permit()
    chain_env.writer.revoke(permit.sha256, 3)
    doc, sig = _files(chain_env, tmp_path, permit)
    assert main(_argv(chain_env, doc, sig, "--json")) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "invalid"
    assert {c["code"]: c["reason_code"] for c in report["checks"]}["status"] == "revoked"
    other = chain_env.make_permit()
    doc, _ = _files(chain_env, tmp_path, other)
    assert main(_argv(chain_env, doc)) == 3  # no signature given: unconfirmed
    assert "verdict: unconfirmed" in capsys.readouterr().out


def test_bad_input_is_an_error_message_not_a_traceback(chain_env, tmp_path):
    permit = chain_env.make_permit()
    doc, sig = _files(chain_env, tmp_path, permit)
    missing = [
        sys.executable, "-m", "permitchain.cli", "verify", str(tmp_path / "nope.json"),
        "--rpc", chain_env.rpc_url, "--contracts", str(chain_env.contracts_file()), *_trust_args(chain_env),
    ]  # fmt: skip
    result = subprocess.run(missing, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert result.stderr.startswith("error: cannot read document") and "Traceback" not in result.stderr
    bad_rpc = _argv(chain_env, doc, sig)
    bad_rpc[bad_rpc.index("--rpc") + 1] = "ftp://example"
    assert main(bad_rpc) != 0
