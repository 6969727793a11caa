import json
import stat
from pathlib import Path

import pytest

from permitchain.cli import main

from .conftest import GOST, RSA


def _verify_args(pki, signature, data, algorithm=RSA):
    section = pki.manifest["algorithms"][algorithm]
    return [
        "eds",
        "verify",
        str(signature),
        "--data",
        str(data),
        "--trust-root",
        str(pki.path(section["root"])),
        "--crl",
        str(pki.path(section["ca_crl"])),
        "--crl",
        str(pki.path(section["root_crl"])),
    ]


@pytest.mark.slow  # the first CLI call imports every package's subcommands (~2 s)
def test_sign_with_p12_then_verify_json(pki, tmp_path, capsys):
    doc = tmp_path / "application.json"
    doc.write_text('{"platform": "test"}', encoding="utf-8")
    sig = tmp_path / "application.cms"
    ident = pki.identity(RSA, "legal_first_head")
    code = main(
        [
            "eds",
            "sign",
            "--key",
            str(pki.path(ident["p12"])),
            "--password-file",
            str(pki.path(pki.manifest["p12_password_file"])),
            "--data",
            str(doc),
            "--out",
            str(sig),
        ]
    )
    assert code == 0
    assert "detached RSA-SHA256 signature" in capsys.readouterr().out
    assert main([*_verify_args(pki, sig, doc), "--json", "--require-right-to-sign"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["valid"] is True
    assert body["signer"]["iin"] == ident["iin"]
    assert body["signer"]["bin"] == ident["bin"]
    assert body["signer"]["purpose"] == "signing"
    assert body["signer"]["roles"] == ["legal_entity", "first_head"]
    assert body["signer"]["algorithm"] == RSA
    assert body["revocation"] == "good"
    assert body["reasons"] == []


def test_invalid_signature_exits_non_zero_with_reasons(pki, tmp_path, capsys, monkeypatch):
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"original")
    sig = tmp_path / "doc.cms"
    ident = pki.identity(RSA, "legal_employee")
    monkeypatch.setenv("KZ_EDS_KEY_PASSWORD", pki.password)
    assert (
        main(["eds", "sign", "--key", str(pki.path(ident["p12"])), "--data", str(doc), "--out", str(sig)])
        == 0
    )
    capsys.readouterr()
    doc.write_bytes(b"changed!")
    assert main([*_verify_args(pki, sig, doc), "--require-right-to-sign"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INVALID")
    assert "[message_digest_mismatch]" in out
    assert "[no_right_to_sign]" in out
    assert f"IIN:        {ident['iin']}" in out


def test_gost_pem_key_sign_and_verify_text(pki, tmp_path, capsys):
    doc = tmp_path / "permit.txt"
    doc.write_text("permit", encoding="utf-8")
    sig = tmp_path / "permit.cms"
    ident = pki.identity(GOST, "regulator_head")
    args = [
        "eds",
        "sign",
        "--key",
        str(pki.path(ident["key"])),
        "--cert",
        str(pki.path(ident["certificate"])),
    ]
    assert main([*args, "--data", str(doc), "--out", str(sig), "--attached"]) == 0
    capsys.readouterr()
    section = pki.manifest["algorithms"][GOST]
    verify = ["eds", "verify", str(sig), "--trust-root", str(pki.path(section["root"])), "--intermediate"]
    verify += [str(pki.path(section["ca"])), "--crl", str(pki.path(section["ca_crl"]))]
    assert main(verify) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID")
    assert "algorithm:  GOST2015-512" in out
    assert "revocation: good" in out


def test_caller_errors_are_messages_not_tracebacks(pki, tmp_path, capsys):
    missing = tmp_path / "nope.cms"
    assert main(["eds", "verify", str(missing)]) == 1
    assert "error: give at least one --trust-root" in capsys.readouterr().err
    root = pki.path(pki.manifest["algorithms"][RSA]["root"])
    assert main(["eds", "verify", str(missing), "--trust-root", str(root)]) == 1
    assert "error: cannot read signature" in capsys.readouterr().err
    assert main(["eds", "verify", str(root), "--trust-root", str(tmp_path)]) == 1
    assert "error: cannot read" in capsys.readouterr().err


def test_pki_init_writes_manifest_and_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "pki"
    assert main(["pki", "init", str(target), "--algorithm", RSA]) == 0
    assert "development PKI written" in capsys.readouterr().out
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        path = target / entry["path"]
        assert path.is_file()
        if entry["kind"] in ("private_key", "pkcs12", "secret"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, entry
    assert main(["pki", "init", str(target), "--algorithm", RSA]) == 1
    assert "--force" in capsys.readouterr().err
    before = (target / "rsa" / "root.pem").read_bytes()
    assert main(["pki", "init", str(target), "--algorithm", RSA, "--force"]) == 0
    assert (target / "rsa" / "root.pem").read_bytes() != before


def test_inspect_reads_a_real_nca_certificate(capsys, tmp_path):
    data = Path(__file__).parent / "data" / "nca_test_gost2015_individual.cer"
    assert main(["eds", "inspect", str(data)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["iin"] == "123456789012"
    assert body["purpose"] == "signing"
    assert body["algorithm"] == "GOST2015-512"
    junk = tmp_path / "junk.cer"
    junk.write_bytes(b"not a certificate")
    assert main(["eds", "inspect", str(junk)]) == 1
    assert "error:" in capsys.readouterr().err


def test_unreachable_crl_url_is_reported(pki, tmp_path, capsys):
    doc = tmp_path / "doc.txt"
    doc.write_bytes(b"doc")
    sig = tmp_path / "doc.cms"
    ident = pki.identity(RSA, "individual_entrepreneur")
    args = [
        "eds",
        "sign",
        "--key",
        str(pki.path(ident["key"])),
        "--cert",
        str(pki.path(ident["certificate"])),
    ]
    assert main([*args, "--data", str(doc), "--out", str(sig)]) == 0
    capsys.readouterr()
    root = pki.ca_file(RSA, "root")
    # a closed port on loopback: the fetch fails fast and becomes a reason, not a crash
    verify = ["eds", "verify", str(sig), "--data", str(doc), "--trust-root", str(root), "--intermediate"]
    verify += [str(pki.ca_file(RSA, "ca")), "--crl-url", "http://127.0.0.1:9/nca.crl", "--json"]
    assert main(verify) == 1
    body = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in body["reasons"]] == ["revocation_unknown"]
    assert "127.0.0.1:9" in body["reasons"][0]["message"]
