"""The one exception-to-wire mapping: codes, revert decoding, internal errors without internals."""

from __future__ import annotations

import logging

import pytest
from eth_abi.abi import encode

from node.exceptions import ExecutionReverted, NodeError, TxRejected
from node.rpc.errors import ERROR_SELECTOR, PANIC_SELECTOR, InvalidParams, error_object, revert_reason


def test_error_string_revert_is_decoded() -> None:
    data = ERROR_SELECTOR + encode(["string"], ["permit already anchored"])
    error = error_object(ExecutionReverted("reverted", data=data))
    assert error == {
        "code": 3,
        "message": "execution reverted: permit already anchored",
        "data": "0x" + data.hex(),
    }


def test_panic_revert_is_named() -> None:
    data = PANIC_SELECTOR + (0x11).to_bytes(32, "big")
    assert revert_reason(data) == "panic 0x11 (arithmetic underflow or overflow)"
    assert error_object(ExecutionReverted("x", data=data))["message"].startswith(
        "execution reverted: panic 0x11"
    )


@pytest.mark.parametrize("data", [b"", b"\x01\x02", ERROR_SELECTOR + b"\xff" * 7, PANIC_SELECTOR + b"\x00"])
def test_undecodable_revert_data_is_passed_through(data: bytes) -> None:
    error = error_object(ExecutionReverted("x", data=data))
    assert error["message"] == "execution reverted"
    assert error["data"] == "0x" + data.hex()


def test_node_errors_use_their_rpc_code_and_machine_code() -> None:
    error = error_object(TxRejected("nonce too low", code="nonce_too_low"))
    assert error == {"code": -32000, "message": "nonce too low", "data": {"code": "nonce_too_low"}}
    assert error_object(NodeError("boom"))["data"] == {"code": "node_error"}
    assert error_object(InvalidParams("bad"))["code"] == -32602


def test_bugs_become_internal_errors_with_a_logged_correlation_id(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="node.rpc"):
        error = error_object(KeyError("secret-internal-detail"))
    assert error["code"] == -32603
    correlation = error["data"]["correlationId"]
    assert correlation in error["message"]
    assert "secret-internal-detail" not in str(error)
    assert correlation in caplog.text
    assert "secret-internal-detail" in caplog.text
