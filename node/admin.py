"""The node's answer to the RPC layer's :class:`~node.rpc.admin_api.NodeAdminAPI`.

A lone node (no ``p2p`` section) has no peers and is never syncing; its identity is its validator key's
public key. A networked node shows its Ed25519 p2p identity, its transport's live peers and block sync's
progress (``network``: a :class:`NetworkView`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from eth_keys.datatypes import PublicKey
from eth_typing import Address

from node.genesis import GenesisConfig
from node.permissioning import AccountAllowlist
from node.rpc.admin_api import NodeAdminAPI, NodeInfo, PeerView, SyncProgress


def besu_style_genesis_config(genesis: GenesisConfig) -> Mapping[str, object]:
    """Return the ``config`` object ``admin_nodeInfo`` shows: chain id, forks, and a ``qbft`` block."""
    return {
        "chainId": genesis.chain_id,
        "pragueTime": 0,
        "qbft": {
            "blockperiodseconds": genesis.bft.block_period_seconds,
            "emptyblockperiodseconds": genesis.bft.empty_block_period_seconds,
            "requesttimeoutseconds": genesis.bft.request_timeout_seconds,
        },
    }


class NodeAllowlistAPI(Protocol):
    def nodes(self) -> list[str]: ...

    def add(self, entries: Sequence[str]) -> None: ...

    def remove(self, entries: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class NetworkView:
    """What a networked node adds to ``admin_``/``net_``/``eth_syncing`` answers."""

    node_id: str
    p2p_host: str
    p2p_port: int
    peers: Callable[[], Sequence[PeerView]]
    sync_progress: Callable[[], SyncProgress | None]
    node_allowlist: NodeAllowlistAPI


class NodeAdmin(NodeAdminAPI):
    def __init__(
        self,
        *,
        public_key: PublicKey,
        name: str,
        host: str,
        genesis: GenesisConfig,
        allowlist: AccountAllowlist,
        network: NetworkView | None = None,
    ) -> None:
        self._network = network
        self._public_key = public_key
        self._name = name
        self._host = host
        self._genesis = genesis
        self._allowlist = allowlist

    def node_info(self) -> NodeInfo:
        if self._network is not None:
            return NodeInfo(
                node_id=self._network.node_id,
                name=self._name,
                host=self._network.p2p_host,
                p2p_port=self._network.p2p_port,
                discovery_port=self._network.p2p_port,  # no discovery: static peers only
                network_id=self._genesis.chain_id,
                genesis_config=besu_style_genesis_config(self._genesis),
            )
        return NodeInfo(
            node_id=self._public_key.to_bytes().hex(),
            name=self._name,
            host=self._host,
            p2p_port=0,
            discovery_port=0,
            network_id=self._genesis.chain_id,
            genesis_config=besu_style_genesis_config(self._genesis),
        )

    def peers(self) -> Sequence[PeerView]:
        return () if self._network is None else self._network.peers()

    def sync_progress(self) -> SyncProgress | None:
        return None if self._network is None else self._network.sync_progress()

    def accounts_allowlist(self) -> tuple[Address, ...]:
        return self._allowlist.accounts()

    def add_accounts_to_allowlist(self, accounts: Sequence[Address]) -> None:
        self._allowlist.add(accounts)

    def remove_accounts_from_allowlist(self, accounts: Sequence[Address]) -> None:
        self._allowlist.remove(accounts)

    def nodes_allowlist(self) -> list[str]:
        return super().nodes_allowlist() if self._network is None else self._network.node_allowlist.nodes()

    def add_nodes_to_allowlist(self, nodes: Sequence[str]) -> None:
        if self._network is None:
            super().add_nodes_to_allowlist(nodes)
        else:
            self._network.node_allowlist.add(nodes)

    def remove_nodes_from_allowlist(self, nodes: Sequence[str]) -> None:
        if self._network is None:
            super().remove_nodes_from_allowlist(nodes)
        else:
            self._network.node_allowlist.remove(nodes)
