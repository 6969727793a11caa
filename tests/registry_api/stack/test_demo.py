"""Issue 8's end-to-end demo on real processes: it passes, and it leaves no node process behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from node.devnet import network
from registry_api import dev_stack

from .processes import processes_under

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_the_demo_passes_every_step_and_stops_everything(tmp_path):
    work = tmp_path / "demo"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "registry_api.demo", str(work)],
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
    except subprocess.TimeoutExpired:
        # The demo was killed (no finally ran): stop its devnets here so the suite leaves nothing behind.
        dev_stack.down(work / "regulator")
        if any((work / "platform").glob("node-*/node.json")):
            network.down(work / "platform")
        raise
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✗" not in done.stdout
    for step in ("platform check", "anchored", "public API says valid", "web page", "now says revoked"):
        assert step in done.stdout
    assert "all 17 steps passed" in done.stdout
    assert processes_under(work) == []
    # Both devnets existed and were taken down (their descriptions are removed by `down`).
    assert (work / "regulator" / "devnet" / "node-4" / "node.json").exists()
    assert (work / "platform" / "node-4" / "node.json").exists()
    assert not (work / "regulator" / "devnet" / "devnet.json").exists()
    assert not (work / "platform" / "devnet.json").exists()
