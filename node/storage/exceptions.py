"""Storage errors, under the node's exception root."""

from __future__ import annotations

from node.exceptions import NodeError


class StorageError(NodeError):
    """The store cannot be opened, or a write could not be committed."""

    code = "storage_error"
