"""Start, stop and inspect a devnet: N node processes in the background on free loopback ports.

``up`` creates the network's files (:mod:`node.provisioning`), starts each node as
``python -m permitchain.cli node run --config …`` in its own session, records its pid in
``node-i/node.pid``, waits until each answers JSON-RPC and writes ``devnet.json``. ``down`` stops exactly
those processes: a pid is only signalled if ``/proc/<pid>/cmdline`` still names that node's config (a
recycled pid belonging to something else is left alone).

Validators: ``--nodes N`` (five by default) QBFT validators on loopback, each with its own data dir,
secp256k1 validator key and Ed25519 p2p identity, full-mesh static peers, the p2p allow-list in genesis;
``--observers K`` adds non-validating nodes that follow by sync. ``up`` returns once every node answers,
is connected to all others and all heads are equal. A single node runs the lone-validator producer.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_utils.address import to_checksum_address

from node.config import NodeConfig, load_node_config
from node.devnet.exceptions import DevnetError
from node.p2p.identity import load_or_create_identity
from node.provisioning import DEV_WARNING, NetworkPlan, init_network

DEVNET_FILE = "devnet.json"
PID_FILE = "node.pid"
LOG_FILE = "node.log"
DEFAULT_NODES = 5
STOP_GRACE_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 60.0

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Processes this process started, so they can be reaped (no zombies, no ResourceWarning)."""


def free_port() -> int:
    """Return a TCP port free on loopback right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_call(url: str, method: str, params: list[Any] | None = None, *, timeout: float = 5.0) -> Any:
    response = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=timeout
    )
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise DevnetError(f"{method} failed: {body['error'].get('message')}")
    return body["result"]


@dataclass(frozen=True, slots=True)
class NodeProcess:
    config: NodeConfig
    pid: int

    @property
    def url(self) -> str:
        return f"http://{self.config.rpc_host}:{self.config.rpc_port}"


def _is_our_process(pid: int, config_path: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\x00")
    except OSError:
        return False
    return str(config_path).encode() in cmdline


def start_node(config: NodeConfig) -> NodeProcess:
    """Start one node process in the background, detached from this terminal's signals."""
    node_dir = config.path.parent
    log = (node_dir / LOG_FILE).open("ab")
    # The command is fixed: this interpreter, our CLI module and a config path we wrote ourselves.
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "permitchain.cli", "node", "run", "--config", str(config.path)],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=node_dir,
    )
    log.close()
    _CHILDREN[process.pid] = process
    (node_dir / PID_FILE).write_text(f"{process.pid}\n", encoding="ascii")
    return NodeProcess(config, process.pid)


def wait_until_serving(node: NodeProcess, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        child = _CHILDREN.get(node.pid)
        # Right after fork the child's cmdline is still ours, so a child we started is judged by poll().
        exited = (
            child.poll() is not None if child is not None else not _is_our_process(node.pid, node.config.path)
        )
        if exited:
            log = node.config.path.parent / LOG_FILE
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            raise DevnetError(f"{node.config.name} exited during start-up; its log ends with:\n{tail}")
        try:
            rpc_call(node.url, "eth_chainId", timeout=1.0)
            return
        except (httpx.HTTPError, DevnetError):
            time.sleep(0.1)
    raise DevnetError(f"{node.config.name} did not answer JSON-RPC within {timeout:.0f} s")


def wait_until_connected(nodes: list[NodeProcess], *, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Wait until every node has every other as a peer and all report the same head."""
    deadline = time.monotonic() + timeout
    want = len(nodes) - 1
    last: list[tuple[int, str]] = []
    while time.monotonic() < deadline:
        try:
            peers = [int(rpc_call(n.url, "net_peerCount", timeout=2.0), 16) for n in nodes]
            heads = [rpc_call(n.url, "eth_getBlockByNumber", ["latest", False], timeout=2.0) for n in nodes]
        except (httpx.HTTPError, DevnetError):
            time.sleep(0.1)
            continue
        last = [(p, h["hash"]) for p, h in zip(peers, heads, strict=True)]
        if all(p >= want for p in peers) and len({h["hash"] for h in heads}) == 1:
            return
        time.sleep(0.1)
    raise DevnetError(f"the nodes did not connect within {timeout:.0f} s (peers, heads: {last})")


def up(
    directory: Path,
    *,
    nodes: int = DEFAULT_NODES,
    observers: int = 0,
    candidates: int = 0,
    dev_accounts: int = 4,
    chain_id: int = 7210,
    request_timeout_ms: int | None = None,
    max_round_timeout_ms: int = 10_000,
    empty_block_period: int = 0,
) -> dict[str, Any]:
    """Create and start a devnet in ``directory``; return what ``devnet.json`` holds."""
    if nodes < 1:
        raise DevnetError("--nodes must be at least 1")
    if observers < 0:
        raise DevnetError("--observers must not be negative")
    if (directory / DEVNET_FILE).exists():
        raise DevnetError(f"{directory} already holds a devnet; run 'permitchain devnet down' first")
    total = nodes + candidates + observers
    network = init_network(
        directory,
        NetworkPlan(
            chain_id=chain_id,
            validators=nodes,
            observers=observers,
            candidates=candidates,
            dev_accounts=dev_accounts,
            rpc_ports=tuple(free_port() for _ in range(total)),
            p2p_ports=tuple(free_port() for _ in range(total)) if total > 1 else (),
            request_timeout_ms=request_timeout_ms,
            max_round_timeout_ms=max_round_timeout_ms,
            empty_block_period_seconds=empty_block_period,
        ),
    )
    started: list[NodeProcess] = []
    try:
        for config in network.node_configs:
            started.append(start_node(config))
        for node in started:
            wait_until_serving(node)
        if total > 1:
            wait_until_connected(started)
    except BaseException:
        for node in started:
            stop_node_process(node.pid, node.config.path)
        raise
    description = {
        "warning": DEV_WARNING,
        "chain_id": network.genesis.chain_id,
        "rpc": [n.url for n in started],
        "accounts": [a.to_json() for a in network.dev_accounts],
        "validators": [to_checksum_address(v) for v in network.genesis.validators],
        "validator_rpc": [n.url for n in started[:nodes]],
        "candidate_rpc": [n.url for n in started[nodes : nodes + candidates]],
        "observer_rpc": [n.url for n in started[nodes + candidates :]],
        "enodes": [
            f"enode://{_own_id(c)}@{c.p2p.host}:{c.p2p.port}"
            for c in network.node_configs
            if c.p2p is not None
        ],
        "pids": [n.pid for n in started],
    }
    path = directory / DEVNET_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(description, handle, indent=2)
        handle.write("\n")
    return description


def _own_id(config: NodeConfig) -> str:
    return "" if config.p2p is None else load_or_create_identity(config.p2p.key_path).node_id


def _node_configs(directory: Path) -> list[NodeConfig]:
    return [load_node_config(p) for p in sorted(directory.glob("node-*/node.json"))]


def stop_node_process(pid: int, config_path: Path) -> bool:
    """SIGTERM, then SIGKILL after a grace period; only if the pid still runs that node."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        if child.poll() is not None:
            return False
        child.terminate()
        try:
            child.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return True
    if not _is_our_process(pid, config_path):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        if not _is_our_process(pid, config_path) or _is_zombie(pid):
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def stop_all_started() -> list[int]:
    """Stop every node this process started and still runs (a safety net for test sessions)."""
    stopped = []
    for pid, child in list(_CHILDREN.items()):
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            stopped.append(pid)
        _CHILDREN.pop(pid, None)
    return stopped


def kill_node_process(pid: int) -> None:
    """SIGKILL a node this process started and reap it (crash tests: no chance to clean up)."""
    child = _CHILDREN.pop(pid, None)
    if child is None:
        raise DevnetError(f"pid {pid} is not a node this process started")
    child.kill()
    child.wait()


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def down(directory: Path) -> list[str]:
    """Stop the devnet's node processes; return the names of those that were running."""
    configs = _node_configs(directory)
    if not configs:
        raise DevnetError(f"{directory} holds no devnet")
    stopped = []
    for config in configs:
        pid_file = config.path.parent / PID_FILE
        if not pid_file.exists():
            continue
        try:
            pid = int(pid_file.read_text(encoding="ascii").strip())
        except ValueError:
            pid_file.unlink()
            continue
        if stop_node_process(pid, config.path):
            stopped.append(config.name)
        pid_file.unlink()
    (directory / DEVNET_FILE).unlink(missing_ok=True)
    return stopped


def status(directory: Path) -> list[dict[str, Any]]:
    """Return each node's name, pid, whether it runs, and its head height (if it answers)."""
    configs = _node_configs(directory)
    if not configs:
        raise DevnetError(f"{directory} holds no devnet")
    rows = []
    for config in configs:
        pid_file = config.path.parent / PID_FILE
        pid = int(pid_file.read_text(encoding="ascii").strip()) if pid_file.exists() else None
        running = pid is not None and _is_our_process(pid, config.path)
        row: dict[str, Any] = {"node": config.name, "pid": pid, "running": running, "height": None}
        if running:
            url = f"http://{config.rpc_host}:{config.rpc_port}"
            try:
                row["height"] = int(rpc_call(url, "eth_blockNumber"), 16)
                row["peers"] = int(rpc_call(url, "net_peerCount"), 16)
                if config.p2p is not None:
                    row["validators"] = len(rpc_call(url, "qbft_getValidatorsByBlockNumber", ["latest"]))
                    row["round"] = rpc_call(url, "qbft_getRound")
                    row["observer"] = config.p2p.observer
            except (httpx.HTTPError, DevnetError):
                pass
        rows.append(row)
    return rows
