"""Node-to-node transport: identities, the authenticated handshake, encrypted frames, peers.

Upper layers (consensus, transaction gossip, block sync) see only :class:`node.abc.TransportAPI`;
:class:`TcpTransport` is the real one, :class:`InMemoryTransport` the deterministic one for tests.
See ``README.md`` in this directory for the wire protocol.
"""

from node.p2p.allowlist import AllowListChange, PeerAllowList
from node.p2p.config import StaticPeer, TransportConfig
from node.p2p.handshake import NetworkId
from node.p2p.identity import NodeIdentity, load_or_create_identity
from node.p2p.memory import InMemoryNetwork, InMemoryTransport
from node.p2p.tcp import TcpTransport

__all__ = [
    "AllowListChange",
    "InMemoryNetwork",
    "InMemoryTransport",
    "NetworkId",
    "NodeIdentity",
    "PeerAllowList",
    "StaticPeer",
    "TcpTransport",
    "TransportConfig",
    "load_or_create_identity",
]
