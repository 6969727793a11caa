"""Two transport endpoints in two network namespaces: connect, lose the link, reconnect."""

from __future__ import annotations

import asyncio
import sys

import pytest

from node.p2p import load_or_create_identity
from tests.conftest import REPO_ROOT
from tests.support.netns import NamespaceLab, unavailable_reason

from .conftest import run

pytestmark = [pytest.mark.netns, pytest.mark.slow]
PORT = 30477


@pytest.fixture(scope="module")
def netns_ready():
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


class Endpoint:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.peers = -1

    async def expect_peers(self, count: int, timeout: float = 15.0) -> None:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while self.peers != count:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise AssertionError("endpoint exited")
                if line.startswith("peers "):
                    self.peers = int(line.split()[1])

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def _endpoint(lab: NamespaceLab, index: int, key, peer: str) -> Endpoint:
    argv = [sys.executable, "-m", "tests.support.p2p_endpoint", "--key", str(key)]
    argv += ["--host", lab.addresses[index], "--port", str(PORT), "--peer", peer]
    process = await asyncio.create_subprocess_exec(
        *lab.command(index, argv),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    return Endpoint(process)


def test_lab_partitions_three_two_and_heals(netns_ready):
    probe = "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex((sys.argv[1], 9)))"
    with NamespaceLab(5) as lab:

        def reachable(source: int, target: int, attempts: int = 1) -> bool:
            # A closed port answers with RST (refused, 111) when the path works; a timeout means no path.
            for _ in range(attempts):
                if lab.run(source, [sys.executable, "-c", probe, lab.addresses[target]]).returncode == 111:
                    return True
            return False

        def comes_back(source: int, target: int) -> bool:
            # After a heal, neighbour entries that failed during the cut are re-resolved on retry.
            return reachable(source, target, attempts=5)

        assert reachable(0, 4)
        lab.partition([[0, 1, 2], [3, 4]])
        assert reachable(0, 2) and reachable(3, 4)
        assert not reachable(0, 3) and not reachable(4, 1)
        lab.heal_all()
        assert comes_back(0, 3) and comes_back(4, 1)
        lab.cut(2)
        assert not reachable(0, 2) and reachable(0, 1)
        lab.heal(2)
        assert comes_back(0, 2)


def test_endpoints_in_two_namespaces_reconnect_after_link_cut(netns_ready, tmp_path):
    keys = [tmp_path / "a.key", tmp_path / "b.key"]
    ids = [load_or_create_identity(key).node_id for key in keys]

    async def body(lab: NamespaceLab) -> None:
        a = await _endpoint(lab, 0, keys[0], f"{ids[1]}@{lab.addresses[1]}:{PORT}")
        b = await _endpoint(lab, 1, keys[1], f"{ids[0]}@{lab.addresses[0]}:{PORT}")
        try:
            await asyncio.gather(a.expect_peers(1), b.expect_peers(1))
            lab.cut(1)
            await asyncio.gather(a.expect_peers(0), b.expect_peers(0))
            lab.heal(1)
            await asyncio.gather(a.expect_peers(1), b.expect_peers(1))
        finally:
            await asyncio.gather(a.stop(), b.stop())

    with NamespaceLab(2) as lab:
        run(body(lab), timeout=60)


def test_five_endpoints_partitioned_three_two_and_healed(netns_ready, tmp_path):
    keys = [tmp_path / f"n{i}.key" for i in range(5)]
    ids = [load_or_create_identity(key).node_id for key in keys]

    async def body(lab: NamespaceLab) -> None:
        endpoints = []
        for i in range(5):
            others = [j for j in range(5) if j != i]
            argv = [sys.executable, "-m", "tests.support.p2p_endpoint", "--key", str(keys[i])]
            argv += ["--host", lab.addresses[i], "--port", str(PORT)]
            for j in others:
                argv += ["--peer", f"{ids[j]}@{lab.addresses[j]}:{PORT}"]
            process = await asyncio.create_subprocess_exec(
                *lab.command(i, argv),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=REPO_ROOT,
            )
            endpoints.append(Endpoint(process))
        try:
            await asyncio.gather(*(e.expect_peers(4, timeout=30) for e in endpoints))
            lab.partition([[0, 1, 2], [3, 4]])
            await asyncio.gather(
                *(e.expect_peers(n) for e, n in zip(endpoints, [2, 2, 2, 1, 1], strict=True))
            )
            lab.heal_all()
            await asyncio.gather(*(e.expect_peers(4, timeout=30) for e in endpoints))
        finally:
            await asyncio.gather(*(e.stop() for e in endpoints))

    with NamespaceLab(5) as lab:
        run(body(lab), timeout=120)
