"""Errors of block and transaction sync, under :class:`node.exceptions.NodeError`."""

from __future__ import annotations

from node.exceptions import NodeError


class SyncError(NodeError):
    """Root of the sync package's errors."""

    code = "sync_error"


class MalformedSyncMessage(SyncError):
    """A peer's status, request or response could not be decoded or breaks a limit."""

    code = "sync_message_malformed"
