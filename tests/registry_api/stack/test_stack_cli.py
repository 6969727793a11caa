"""``permitchain stack``: run serves the API and a stop signal takes the devnet down with it; up/down."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import httpx
import pytest

from node.devnet.network import free_port
from registry_api import dev_stack
from registry_api.chain.keystore import open_keystore, read_password_file

from .processes import processes_under

pytestmark = [pytest.mark.slow, pytest.mark.network]


def permitchain(*args: str) -> list[str]:
    return [sys.executable, "-m", "permitchain.cli", "stack", *args]


def wait_for(url: str, process: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer")


def test_run_serves_the_api_on_the_chain_and_sigterm_stops_everything(tmp_path):
    port = free_port()
    var = tmp_path / "var"
    process = subprocess.Popen(
        permitchain("run", "--dir", str(var), "--nodes", "1", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/openapi.json", process)
        nodes = [cmd for _pid, cmd in processes_under(var) if " node run " in cmd]
        assert len(nodes) == 1  # the API runs in the stack process itself
        # The public side reads the freshly deployed registries from the devnet.
        unknown = httpx.get(f"http://127.0.0.1:{port}/v1/public/permits/P-NONE-1", timeout=10)
        assert unknown.status_code == 404, unknown.text
        for secret in ("registrar.keystore.json", "registrar.password", "platform-check.key", "api.env"):
            assert stat.S_IMODE((var / secret).stat().st_mode) == 0o600, secret
        keystore = (var / "registrar.keystore.json").read_text()
        account = open_keystore(
            var / "registrar.keystore.json", read_password_file(var / "registrar.password")
        )
        assert account.address.lower()[2:] in keystore.lower()  # encrypted: only the address is readable
        assert account.key.hex()[2:] not in keystore
        env_text = (var / "api.env").read_text()
        assert f"REGISTRY_PUBLIC_BASE_URL=http://127.0.0.1:{port}" in env_text
        # A second run on the busy port is refused and leaves the first one's devnet alone.
        second = subprocess.run(
            permitchain("run", "--dir", str(var), "--nodes", "1", "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode != 0 and "in use" in second.stderr
        assert len([cmd for _pid, cmd in processes_under(var) if " node run " in cmd]) == 1
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).status_code == 200
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # the test failed: kill the stack, then stop the devnet it left
            process.kill()
            process.communicate()
            dev_stack.down(var)
    assert "registry API" in out and "DEVELOPMENT" in out
    assert "stopped: node-0" in out
    assert processes_under(var) == []


def test_up_leaves_the_devnet_running_reuses_the_pki_and_down_stops_it(tmp_path):
    var = tmp_path / "var"
    port = str(free_port())
    first = subprocess.run(  # a relative --dir, as ./scripts/run passes "var"
        permitchain("up", "--dir", "var", "--nodes", "1", "--port", port),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=tmp_path,
    )
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        assert "(new)" in first.stdout
        assert len(processes_under(var)) == 1
        manifest = (var / "pki" / "manifest.json").read_text()
        contracts = (var / "contracts.json").read_text()
        again = subprocess.run(  # a second up replaces the devnet (down + wipe) and keeps the PKI
            permitchain("up", "--dir", str(var), "--nodes", "1", "--port", port),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "(reused)" in again.stdout
        assert (var / "pki" / "manifest.json").read_text() == manifest
        assert (var / "contracts.json").read_text() != contracts  # fresh chain, fresh deployment
        assert len(processes_under(var)) == 1
    finally:
        stopped = subprocess.run(
            permitchain("down", "--dir", "var"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
    assert stopped.returncode == 0 and "node-0" in stopped.stdout
    assert processes_under(var) == []


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run(
            permitchain("up", "--dir", str(tmp_path / "var"), "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ},
        )
    assert done.returncode != 0
    assert done.stderr.startswith("error: ") and "in use" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "var" / "devnet").exists()
