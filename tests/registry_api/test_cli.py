"""``permitchain api``: migrates, serves the app over real HTTP, and reports bad settings as a message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
import sqlalchemy as sa

from permitchain.cli import main


def test_migrate_only_creates_the_schema(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "test")
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    assert main(["api", "--migrate-only", "--database-url", url]) == 0
    assert "database migrated" in capsys.readouterr().out
    assert "applications" in sa.inspect(sa.create_engine(url)).get_table_names()


def test_bad_settings_are_an_error_message_not_a_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    monkeypatch.delenv("REGISTRY_TOKEN_SECRET", raising=False)
    assert main(["api", "--migrate-only"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid settings") and "Traceback" not in err


def test_production_refuses_a_dev_pki(monkeypatch, capsys, pki) -> None:
    monkeypatch.setenv("REGISTRY_TOKEN_SECRET", "s" * 40)
    monkeypatch.setenv("REGISTRY_DEV_PKI_DIR", str(pki.dev.directory))
    assert main(["api", "--migrate-only"]) == 1
    assert "dev/test only" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serves_openapi_over_http(tmp_path, pki) -> None:
    port = _free_port()
    # The newcomer's path: a dev PKI folder supplies the trust store and the head's key.
    env = {**os.environ, "REGISTRY_ENVIRONMENT": "dev", "REGISTRY_DEV_PKI_DIR": str(pki.dev.directory)}
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "permitchain.cli", "api", "--port", str(port), "--database-url", url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "the server did not start within 30 s"
                time.sleep(0.2)  # polling a starting process, not waiting for a deadline
        assert response.status_code == 200
        assert "/v1/auth/challenge" in response.json()["paths"]
        challenge = httpx.post(f"http://127.0.0.1:{port}/v1/auth/challenge", timeout=5).json()
        assert len(challenge["nonce"]) == 64
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout:
            proc.stdout.close()
