"""eth_syncing reports the admin API's progress while the node catches up, and false once it has."""

from __future__ import annotations

from eth_keys.datatypes import PrivateKey

from node.rpc import CallContext, Params, RpcLimits, SyncProgress
from node.rpc.filters import FilterRegistry
from node.rpc.methods.eth import EthMethods
from tests.node.rpc.pyevm_node import ReferenceNode


def test_syncing_object_then_false() -> None:
    node = ReferenceNode([PrivateKey(b"\x07" * 32)])
    limits = RpcLimits()
    eth = EthMethods(reader=node, pool=node, admin=node, limits=limits, filters=FilterRegistry(limits))
    node.syncing = SyncProgress(starting_block=3, current_block=10, highest_block=250)
    assert eth.syncing(Params("eth_syncing", []), CallContext()) == {
        "startingBlock": "0x3",
        "currentBlock": "0xa",
        "highestBlock": "0xfa",
    }
    node.syncing = None
    assert eth.syncing(Params("eth_syncing", []), CallContext()) is False
