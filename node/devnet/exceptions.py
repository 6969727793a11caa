"""Devnet errors, under the node's exception root."""

from __future__ import annotations

from node.exceptions import NodeError


class DevnetError(NodeError):
    """The devnet cannot be started, stopped or inspected as asked."""

    code = "devnet_error"
