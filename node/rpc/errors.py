"""Every JSON-RPC error the server emits, and the ONE function that turns an exception into the wire.

Code elsewhere raises typed errors (:class:`node.exceptions.NodeError` subclasses from the node,
:class:`RpcError` subclasses from the RPC boundary); only :func:`error_object` decides codes, messages
and ``data``. Anything that is not a ``NodeError`` is a bug: it is logged with a correlation id and the
client sees ``-32603`` with that id, never a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from node.exceptions import ExecutionReverted, NodeError

logger = logging.getLogger("node.rpc")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# EIP-1474 server codes.
INVALID_INPUT = -32000
RESOURCE_NOT_FOUND = -32001
METHOD_NOT_SUPPORTED = -32004
LIMIT_EXCEEDED = -32005
# Besu's code for a permission-protected method called without the right to.
UNAUTHORIZED = -40100

ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

PANIC_REASONS: dict[int, str] = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}


class RpcError(NodeError):
    """An error found at the RPC boundary; ``data`` (if any) goes to the wire as the error's data."""

    code = "rpc_error"
    rpc_code = INVALID_INPUT

    def __init__(self, message: str, *, data: Any = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.data = data


class ParseError(RpcError):
    code = "parse_error"
    rpc_code = PARSE_ERROR


class InvalidRequest(RpcError):
    code = "invalid_request"
    rpc_code = INVALID_REQUEST


class RequestTooLarge(InvalidRequest):
    """A body, frame or batch over its limit; HTTP answers it with status 413."""

    code = "request_too_large"


class MethodNotFound(RpcError):
    code = "method_not_found"
    rpc_code = METHOD_NOT_FOUND


class InvalidParams(RpcError):
    code = "invalid_params"
    rpc_code = INVALID_PARAMS


class ResourceNotFound(RpcError):
    """A block or filter the request names does not exist (where the spec wants an error, not null)."""

    code = "not_found"
    rpc_code = RESOURCE_NOT_FOUND


class MethodNotSupported(RpcError):
    code = "method_not_supported"
    rpc_code = METHOD_NOT_SUPPORTED


class LimitExceeded(RpcError):
    code = "limit_exceeded"
    rpc_code = LIMIT_EXCEEDED


class Unauthorized(RpcError):
    code = "unauthorized"
    rpc_code = UNAUTHORIZED


def revert_reason(data: bytes) -> str | None:
    """Return the human reason inside revert data (``Error(string)`` or ``Panic(uint256)``), if any."""
    if data.startswith(ERROR_SELECTOR):
        try:
            (reason,) = abi_decode(["string"], data[4:])
        except (DecodingError, ValueError, OverflowError):
            return None
        return str(reason)
    if data.startswith(PANIC_SELECTOR) and len(data) == 36:
        panic = int.from_bytes(data[4:], "big")
        return f"panic 0x{panic:02x} ({PANIC_REASONS.get(panic, 'unknown panic code')})"
    return None


def error_object(exc: BaseException) -> dict[str, Any]:
    """Return the JSON-RPC ``error`` member for ``exc``; the only place codes are chosen."""
    if isinstance(exc, ExecutionReverted):
        reason = revert_reason(exc.data)
        message = f"execution reverted: {reason}" if reason else "execution reverted"
        return {"code": exc.rpc_code, "message": message, "data": "0x" + exc.data.hex()}
    if isinstance(exc, RpcError):
        error: dict[str, Any] = {"code": exc.rpc_code, "message": exc.message}
        error["data"] = exc.data if exc.data is not None else {"code": exc.code}
        return error
    if isinstance(exc, NodeError):
        return {"code": exc.rpc_code, "message": exc.message, "data": {"code": exc.code}}
    correlation_id = uuid.uuid4().hex[:16]
    logger.error("internal error in JSON-RPC call [%s]", correlation_id, exc_info=exc)
    return {
        "code": INTERNAL_ERROR,
        "message": f"internal error (correlation id {correlation_id})",
        "data": {"code": "internal_error", "correlationId": correlation_id},
    }
