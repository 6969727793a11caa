"""Keeping a node level with its peers: blocks (`block_sync`) and pending transactions (`tx_gossip`).

Both ride on the node's :class:`~node.abc.TransportAPI`; neither trusts a peer: synced blocks are
imported through the chain's own seal and execution checks, gossiped transactions through the pool's.
"""

from node.sync.block_sync import BlockSync, SyncStatus
from node.sync.tx_gossip import GossipingPool, TxGossip

__all__ = ["BlockSync", "GossipingPool", "SyncStatus", "TxGossip"]
