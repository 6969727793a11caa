"""The node's one exception root, with the JSON-RPC code each error maps to.

The mapping to the wire lives in exactly one place (``node/rpc``); code elsewhere raises these with
typed payloads and never builds error objects itself.
"""

from __future__ import annotations

from permitchain.errors import PermitChainError


class NodeError(PermitChainError):
    """Root of every error the node raises on purpose."""

    code = "node_error"
    rpc_code: int = -32000


class ConfigError(NodeError):
    """A genesis or node configuration file is invalid."""

    code = "config_invalid"


class InvalidBlock(NodeError):
    """A block failed validation (bad parent, state root, seals, gas, …)."""

    code = "invalid_block"


class TxRejected(NodeError):
    """A transaction was refused by the pool; subclasses say why."""

    code = "tx_rejected"
    rpc_code = -32000


class ExecutionReverted(NodeError):
    """A call or estimate reverted; ``data`` carries the revert payload for the JSON-RPC error."""

    code = "execution_reverted"
    rpc_code = 3

    def __init__(self, message: str, *, data: bytes = b"") -> None:
        super().__init__(message)
        self.data = data


class ExecutionFailed(NodeError):
    """A call or estimate failed for a reason other than REVERT (out of gas, invalid opcode, …)."""

    code = "execution_failed"


class LogRangeTooLarge(NodeError):
    """An ``eth_getLogs`` range spans more blocks than the node's configured cap."""

    code = "log_range_too_large"
    rpc_code = -32005


class UnknownBlock(NodeError):
    """A block reference (number, hash or tag) points at no block of the canonical chain."""

    code = "unknown_block"
    rpc_code = -32001
