"""Network namespaces for multi-node tests: N nodes on a private bridge, with links to cut and heal.

Layout (everything lives inside namespaces this module creates; the root namespace gets no interface,
address or route, so test traffic can never leave the machine)::

    <tag>-hub:   bridges br0 (and br1.. while partitioned), ports p0..p{N-1}
    <tag>-n{i}:  eth0 = 10.77.0.{i+1}/24, veth peer of p{i};  lo up

Cutting a node's link sets its hub-side port down (packets vanish, like a pulled cable); partitioning
moves ports onto separate bridges, so e.g. ``partition([[0, 1, 2], [3, 4]])`` gives a 3/2 split. Needs
root and ``ip netns``; :func:`unavailable_reason` says why not, for a clean ``pytest.skip``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from types import TracebackType

SUBNET_PREFIX = "10.77.0"
PREFIX_LENGTH = 24
_IP = shutil.which("ip") or "/usr/sbin/ip"


def _ip(*args: str) -> None:
    subprocess.run([_IP, *args], check=True, capture_output=True, timeout=10)


def unavailable_reason() -> str | None:
    """Return why namespaces cannot be used here, or ``None`` if they can."""
    if os.geteuid() != 0:
        return "network namespace tests need root"
    if not os.path.exists(_IP):
        return "the ip tool (iproute2) is not installed"
    probe = f"pcprobe{secrets.token_hex(3)}"
    result = subprocess.run(
        [_IP, "netns", "add", probe], check=False, capture_output=True, text=True, timeout=10
    )
    if result.returncode != 0:
        return f"ip netns add is forbidden here: {result.stderr.strip()}"
    subprocess.run([_IP, "netns", "del", probe], check=False, capture_output=True, timeout=10)
    return None


class NamespaceLab:
    """``count`` namespaces joined by a bridge in a hub namespace; a context manager that cleans up."""

    def __init__(self, count: int, *, tag: str | None = None) -> None:
        if not 1 <= count <= 200:
            raise ValueError("count must be between 1 and 200")
        self.count = count
        self.tag = tag or f"pc{secrets.token_hex(3)}"
        self.hub = f"{self.tag}-hub"
        self.namespaces = [f"{self.tag}-n{i}" for i in range(count)]
        self.addresses = [f"{SUBNET_PREFIX}.{i + 1}" for i in range(count)]
        self._bridges = {"br0"}
        self._created: list[str] = []

    def __enter__(self) -> NamespaceLab:
        try:
            self.create()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.teardown()

    def create(self) -> None:
        _ip("netns", "add", self.hub)
        self._created.append(self.hub)
        _ip("-n", self.hub, "link", "set", "lo", "up")
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for index, namespace in enumerate(self.namespaces):
            _ip("netns", "add", namespace)
            self._created.append(namespace)
            _ip("-n", namespace, "link", "set", "lo", "up")
            port = f"p{index}"
            _ip(
                "-n",
                self.hub,
                "link",
                "add",
                port,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                namespace,
            )
            _ip("-n", self.hub, "link", "set", port, "master", "br0")
            _ip("-n", self.hub, "link", "set", port, "up")
            _ip("-n", namespace, "addr", "add", f"{self.addresses[index]}/{PREFIX_LENGTH}", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")

    def teardown(self) -> None:
        """Delete every namespace created (their veths and bridges go with them); safe to repeat."""
        while self._created:
            subprocess.run(
                [_IP, "netns", "del", self._created.pop()], check=False, capture_output=True, timeout=10
            )

    def command(self, index: int, argv: Sequence[str]) -> list[str]:
        """Return ``argv`` wrapped to run inside namespace ``index`` (for ``subprocess`` or asyncio)."""
        return [_IP, "netns", "exec", self.namespaces[index], *argv]

    def run(self, index: int, argv: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run a command inside namespace ``index`` and return its completed process (output as text)."""
        return subprocess.run(
            self.command(index, argv), check=False, capture_output=True, text=True, timeout=timeout
        )

    def cut(self, index: int) -> None:
        """Pull node ``index``'s cable: its packets vanish, its sockets see no error."""
        _ip("-n", self.hub, "link", "set", f"p{index}", "down")

    def heal(self, index: int) -> None:
        _ip("-n", self.hub, "link", "set", f"p{index}", "up")

    def partition(self, groups: Sequence[Sequence[int]]) -> None:
        """Split nodes into ``groups`` that reach only each other (ports on separate bridges)."""
        seen = [index for group in groups for index in group]
        if sorted(seen) != list(range(self.count)):
            raise ValueError("groups must name every node exactly once")
        for number, group in enumerate(groups):
            bridge = f"br{number}"
            if bridge not in self._bridges:
                _ip("-n", self.hub, "link", "add", bridge, "type", "bridge")
                _ip("-n", self.hub, "link", "set", bridge, "up")
                self._bridges.add(bridge)
            for index in group:
                _ip("-n", self.hub, "link", "set", f"p{index}", "master", bridge)

    def heal_all(self) -> None:
        """Undo partitions and cuts: every port up and back on ``br0``."""
        for index in range(self.count):
            _ip("-n", self.hub, "link", "set", f"p{index}", "master", "br0")
            self.heal(index)
