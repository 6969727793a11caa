"""QBFT consensus as a pure state machine; see README.md in this directory for the node's side."""

from node.consensus.qbft.actions import (
    Action,
    Broadcast,
    CommitBlock,
    PersistState,
    Rejected,
    RejectReason,
    RequestBlock,
    SetTimer,
)
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.ports import BlockPort, ConsensusBlock, LocalKeySigner, Signer
from node.consensus.qbft.snapshot import Snapshot
from node.consensus.qbft.state_machine import QbftMachine

__all__ = [
    "Action",
    "BlockPort",
    "Broadcast",
    "CommitBlock",
    "ConsensusBlock",
    "HeightInfo",
    "LocalKeySigner",
    "PersistState",
    "QbftConfig",
    "QbftMachine",
    "RejectReason",
    "Rejected",
    "RequestBlock",
    "SetTimer",
    "Signer",
    "Snapshot",
]
