"""The small admin interface the RPC layer needs from the node: identity, peers, sync, account allow-list.

Kept beside the RPC server (not in ``node/abc.py``) because only ``admin_``, ``net_``, ``eth_syncing`` and
``perm_`` read it; the node process implements it over its transport and its transaction pool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from eth_typing import Address

from node.rpc.errors import MethodNotSupported


class PeerView(Protocol):
    """What ``admin_peers`` shows of a peer; the transport's ``PeerInfo`` has exactly these fields."""

    @property
    def node_id(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def direction(self) -> Literal["inbound", "outbound"]: ...

    @property
    def connected_since(self) -> float: ...


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What ``admin_nodeInfo`` reports; the RPC layer shapes it like Besu's answer."""

    node_id: str
    """The node's public identity key, lowercase hex (the ``id`` in its enode URL)."""
    name: str
    host: str
    p2p_port: int
    discovery_port: int
    network_id: int
    genesis_config: Mapping[str, object]
    """The ``config`` object of the genesis file (chain id, forks, ``qbft`` settings)."""


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """``eth_syncing`` while the node catches up; the admin API returns ``None`` once it has."""

    starting_block: int
    current_block: int
    highest_block: int


class NodeAdminAPI(ABC):
    """Node identity, peers, sync state and account permissioning."""

    @abstractmethod
    def node_info(self) -> NodeInfo: ...

    @abstractmethod
    def peers(self) -> Sequence[PeerView]: ...

    @abstractmethod
    def sync_progress(self) -> SyncProgress | None: ...

    @abstractmethod
    def accounts_allowlist(self) -> tuple[Address, ...]:
        """Return the accounts allowed to send transactions, in the order they were added."""

    @abstractmethod
    def add_accounts_to_allowlist(self, accounts: Sequence[Address]) -> None:
        """Allow ``accounts`` durably; raise a ``NodeError`` if one is already allowed, changing nothing."""

    @abstractmethod
    def remove_accounts_from_allowlist(self, accounts: Sequence[Address]) -> None:
        """Disallow ``accounts`` durably; raise a ``NodeError`` if one is not allowed, changing nothing."""

    # Node (peer) permissioning: only a node with a p2p transport has peers to allow.
    def nodes_allowlist(self) -> list[str]:
        """Return the node ids (Ed25519 public keys, hex) allowed to connect."""
        raise MethodNotSupported("this node has no p2p transport")

    def add_nodes_to_allowlist(self, nodes: Sequence[str]) -> None:
        """Allow these enode URLs / node ids durably; raise a ``NodeError`` on a duplicate or bad id."""
        raise MethodNotSupported("this node has no p2p transport")

    def remove_nodes_from_allowlist(self, nodes: Sequence[str]) -> None:
        """Disallow these nodes durably (their connections drop at once)."""
        raise MethodNotSupported("this node has no p2p transport")
