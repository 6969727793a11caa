"""Five validator processes in five network namespaces (``tests/support/netns.py``), talking over a
private bridge: one validator cut off falls behind and catches up after healing; a 3/2 split leaves
neither side a quorum of 4, so nothing is finalized anywhere, and after healing both sides' pending
transactions are final on one chain. Skipped with the reason where the machine forbids namespaces.

RPC stays on each namespace's own loopback; the test reaches it with ``ip netns exec … curl``, so no
traffic leaves loopback and the lab's namespaces."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from node.config import write_node_config
from node.p2p import load_or_create_identity
from node.provisioning import NetworkPlan, init_network, load_dev_accounts
from tests.support.netns import NamespaceLab, unavailable_reason

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.netns]

P2P_PORT = 30403
RPC_PORT = 8645
COUNT = 5


class NsNetwork:
    def __init__(self, lab: NamespaceLab, directory: Path) -> None:
        self.lab = lab
        self.network = init_network(
            directory,
            NetworkPlan(
                validators=COUNT,
                dev_accounts=2,
                p2p_ports=(P2P_PORT,) * COUNT,
                rpc_ports=(RPC_PORT,) * COUNT,
                request_timeout_ms=500,
                max_round_timeout_ms=2000,
            ),
        )
        ids = []
        for config in self.network.node_configs:
            assert config.p2p is not None
            ids.append(load_or_create_identity(config.p2p.key_path).node_id)
        self.configs = []
        for index, config in enumerate(self.network.node_configs):
            assert config.p2p is not None
            peers = tuple(f"{ids[i]}@{lab.addresses[i]}:{P2P_PORT}" for i in range(COUNT) if i != index)
            updated = replace(config, p2p=replace(config.p2p, host=lab.addresses[index], static_peers=peers))
            write_node_config(updated)
            self.configs.append(updated)
        self.accounts = load_dev_accounts(directory)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.nonces = [0] * len(self.accounts)

    def start(self) -> None:
        for index, config in enumerate(self.configs):
            log = (config.path.parent / "node.log").open("ab")
            argv = [sys.executable, "-m", "permitchain.cli", "node", "run", "--config", str(config.path)]
            self.processes.append(
                subprocess.Popen(
                    self.lab.command(index, argv), stdout=log, stderr=log, stdin=subprocess.DEVNULL
                )
            )
            log.close()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def call(self, index: int, method: str, params: list[Any] | None = None) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        result = self.lab.run(
            index,
            [
                "curl",
                "-s",
                "-m",
                "3",
                "-H",
                "Content-Type: application/json",
                "--data",
                body,
                f"http://127.0.0.1:{RPC_PORT}/",
            ],
            timeout=10,
        )
        if result.returncode != 0 or not result.stdout:
            return None
        answer = json.loads(result.stdout)
        if "error" in answer:
            raise AssertionError(f"{method} on node-{index}: {answer['error']}")
        return answer["result"]

    def height(self, index: int) -> int:
        return int(self.call(index, "eth_blockNumber"), 16)

    def send(self, index: int, account: int) -> str:
        key = self.accounts[account].private_key
        tx = {
            "nonce": self.nonces[account],
            "gas": 21_000,
            "to": "0x" + "66" * 20,
            "value": 1,
            "gasPrice": 0,
            "chainId": self.network.genesis.chain_id,
        }
        raw = Account.sign_transaction(tx, key.to_bytes()).raw_transaction
        self.nonces[account] += 1
        return str(self.call(index, "eth_sendRawTransaction", ["0x" + raw.hex()]))

    def final_on(self, tx_hash: str, nodes: list[int]) -> bool:
        return all(self.call(i, "eth_getTransactionReceipt", [tx_hash]) for i in nodes)

    def same_chain(self, nodes: list[int]) -> None:
        lowest = min(self.height(i) for i in nodes)
        for number in range(1, lowest + 1):
            hashes = {self.call(i, "eth_getBlockByNumber", [hex(number), False])["hash"] for i in nodes}
            assert len(hashes) == 1, f"fork at height {number}"


def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s: {what}")


@pytest.fixture(scope="module")
def ns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsNetwork]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with NamespaceLab(COUNT) as lab:
        network = NsNetwork(lab, Path(tmp_path_factory.mktemp("netns")))
        network.start()
        try:
            _until(
                lambda: all(network.call(i, "net_peerCount") == "0x4" for i in range(COUNT)), 60, "full mesh"
            )
            yield network
        finally:
            network.stop()


ALL = list(range(COUNT))


def test_a_validator_cut_off_catches_up_after_healing(ns: NsNetwork) -> None:
    tx = ns.send(0, 0)
    _until(lambda: ns.final_on(tx, ALL), 20, "first transaction final on all")
    ns.lab.cut(4)
    try:
        for _ in range(3):
            tx = ns.send(1, 0)
            _until(lambda tx=tx: ns.final_on(tx, [0, 1, 2, 3]), 30, "final on the four connected")
        assert ns.height(4) < ns.height(0)
    finally:
        ns.lab.heal(4)
    _until(lambda: ns.height(4) >= ns.height(0), 40, "node-4 caught up")
    ns.same_chain(ALL)


def test_a_three_two_split_finalizes_nothing_and_heals_without_a_fork(ns: NsNetwork) -> None:
    start = [ns.height(i) for i in ALL]
    ns.lab.partition([[0, 1, 2], [3, 4]])
    try:
        majority_tx = ns.send(0, 0)
        minority_tx = ns.send(3, 1)
        time.sleep(3.0)  # several round timeouts on both sides; quorum is 4 of 5
        assert [ns.height(i) for i in ALL] == start
        assert not ns.final_on(majority_tx, [0]) and not ns.final_on(minority_tx, [3])
    finally:
        ns.lab.heal_all()
    _until(
        lambda: ns.final_on(majority_tx, ALL) and ns.final_on(minority_tx, ALL),
        60,
        "both final after healing",
    )
    ns.same_chain(ALL)
