"""``permitchain platform-check`` end to end through the shared CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from permitchain.cli import main
from tests.platform_checks.conftest import running_network


def test_table_and_exit_code_for_a_failing_platform(capsys: pytest.CaptureFixture[str]) -> None:
    with running_network("qbft", 2, validators=4) as net:
        code = main(["platform-check", *net.urls, "--window", "0.5", "--timeout", "2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "node_count" in out and "FAIL" in out
    assert "verdict: FAIL" in out
    assert "content hash: sha256:" in out


def test_json_report_signed_and_verifiable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_path = tmp_path / "regulator.key"
    assert main(["platform-check-keygen", str(key_path)]) == 0
    public_key = capsys.readouterr().out.strip()
    with running_network("qbft", 2, validators=4) as net:
        code = main(
            [
                "platform-check",
                *net.urls,
                "--json",
                "--signing-key",
                str(key_path),
                "--min-nodes",
                "2",
                "--window",
                "0.5",
            ]
        )
    report_text = capsys.readouterr().out
    report = json.loads(report_text)
    assert report["body"]["min_nodes"] == 2
    assert report["body"]["min_nodes_source"] == "override (--min-nodes)"
    assert code == 1  # no new block in half a second: liveness fails
    assert report["body"]["verdict"] == "fail"
    saved = tmp_path / "report.json"
    saved.write_text(report_text)
    assert main(["platform-check-verify", str(saved), "--public-key", public_key]) == 0
    assert "signature valid; verdict FAIL" in capsys.readouterr().out
    report["body"]["verdict"] = "pass"
    saved.write_text(json.dumps(report))
    assert main(["platform-check-verify", str(saved), "--public-key", public_key]) == 1
    assert "error: content hash does not match" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["platform-check", "ftp://example.com/"], "only http and https"),
        (["platform-check", "http://user:pw@example.com/"], "credentials in the URL"),
        (["platform-check", "http://example.com/", "--json"], "--json prints a signed report"),
        (["platform-check", "http://127.0.0.1:1/", "--min-nodes", "0"], "at least 1"),
    ],
)
def test_bad_input_is_an_error_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_no_allow_private_refuses_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    with running_network("qbft", 1, validators=4) as net:
        code = main(["platform-check", *net.urls, "--no-allow-private", "--window", "0.2"])
        assert net.servers[0].seen_headers == []
    assert code == 1
    assert "reachability" in capsys.readouterr().out


def test_tokens_file_sends_each_endpoint_its_own_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_network("qbft", 2, validators=4) as net:
        tokens = tmp_path / "tokens.json"
        tokens.write_text(json.dumps({net.urls[0]: "token-zero"}))
        main(["platform-check", *net.urls, "--tokens", str(tokens), "--window", "0.2"])
        first = {h.get("Authorization") for h in net.servers[0].seen_headers}
        second = {h.get("Authorization") for h in net.servers[1].seen_headers}
    assert first == {"Bearer token-zero"}
    assert second == {None}
    assert "token-zero" not in capsys.readouterr().out


def test_tokens_file_naming_other_urls_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"https://elsewhere.example/": "x"}))
    assert main(["platform-check", "https://node.example/", "--tokens", str(tokens)]) == 1
    assert "token file names URLs not given" in capsys.readouterr().err
