"""A five-validator network of its own (in a tmp dir) for tests that kill, restart or wipe nodes."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils.address import to_checksum_address

from node.config import NodeConfig, load_node_config
from node.devnet.network import (
    NodeProcess,
    down,
    kill_node_process,
    start_node,
    up,
    wait_until_serving,
)
from node.keys import key_address, load_key
from tests.node.network.cluster import Devnet

FAST_ROUNDS = {"request_timeout_ms": 500, "max_round_timeout_ms": 2000}


@dataclass
class OutageNet:
    devnet: Devnet
    configs: list[NodeConfig]
    pids: list[int | None] = field(default_factory=list)

    @classmethod
    def start(cls, directory: Path, *, nodes: int = 5, candidates: int = 0, observers: int = 0) -> OutageNet:
        up(directory, nodes=nodes, candidates=candidates, observers=observers, dev_accounts=4, **FAST_ROUNDS)
        devnet = Devnet.load(directory)
        total = nodes + candidates + observers
        configs = [load_node_config(directory / f"node-{i}" / "node.json") for i in range(total)]
        return cls(devnet, configs, list(devnet.description["pids"]))

    def url(self, index: int) -> str:
        return self.devnet.urls[index]

    def live_urls(self) -> list[str]:
        return [u for u, pid in zip(self.devnet.urls, self.pids, strict=True) if pid is not None]

    def kill(self, index: int) -> None:
        """SIGKILL: no chance to flush or say goodbye."""
        pid = self.pids[index]
        assert pid is not None
        kill_node_process(pid)
        self.pids[index] = None

    def restart(self, index: int, *, wipe: bool = False) -> None:
        assert self.pids[index] is None
        if wipe:
            shutil.rmtree(self.configs[index].data_dir)
        node = start_node(self.configs[index])
        wait_until_serving(node)
        self.pids[index] = node.pid

    def address(self, index: int) -> str:
        return to_checksum_address(key_address(load_key(self.configs[index].key_path)))

    def stop(self) -> None:
        down(self.devnet.directory)


__all__ = ["NodeProcess", "OutageNet"]
