"""Parameter validation: every malformed value is InvalidParams naming the parameter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.rpc import inbound
from node.rpc.errors import InvalidParams
from node.rpc.inbound import Params


@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_quantity_round_trips(value: int) -> None:
    assert inbound.quantity(hex(value), "q") == value


@pytest.mark.parametrize("text", ["0x", "0x01", "1", "0xg", "", "0x" + "f" * 65, 5, None, True])
def test_bad_quantities(text: object) -> None:
    with pytest.raises(InvalidParams, match=r"^q:"):
        inbound.quantity(text, "q")


@pytest.mark.parametrize("text", ["0x0", "0x123", "ab", 12, "0xzz"])
def test_bad_data(text: object) -> None:
    with pytest.raises(InvalidParams):
        inbound.data(text, "d")


def test_block_refs() -> None:
    assert inbound.block_ref(None, "b") == "latest"
    assert inbound.block_ref("safe", "b") == "safe"
    assert inbound.block_ref("0x10", "b") == 16
    assert inbound.block_ref({"blockNumber": "0x2"}, "b") == 2
    assert inbound.block_ref({"blockHash": "0x" + "11" * 32, "requireCanonical": True}, "b") == b"\x11" * 32
    assert inbound.block_ref("0x" + "22" * 32, "b") == b"\x22" * 32
    bad: object
    for bad in ("Latest", {"blockHash": "0x11"}, {"other": 1}, [], "0x" + "1" * 17):
        with pytest.raises(InvalidParams):
            inbound.block_ref(bad, "b")
    with pytest.raises(InvalidParams):
        inbound.block_number_or_tag("0x" + "22" * 32, "b")


def test_call_request_normalises_fields() -> None:
    request = inbound.call_request(
        {"from": "0x" + "01" * 20, "to": "0x" + "02" * 20, "input": "0xabcd", "value": "0x5", "type": "0x2"},
        "tx",
    )
    assert request.sender == b"\x01" * 20
    assert request.data == b"\xab\xcd"
    assert request.value == 5
    assert request.gas is None


def test_filter_topics_and_addresses() -> None:
    topic = "0x" + "aa" * 32
    spec = inbound.filter_spec({"address": ["0x" + "01" * 20], "topics": [None, [topic], [], None]}, "f")
    assert spec.topics == (None, frozenset({b"\xaa" * 32}))
    assert spec.addresses == frozenset({b"\x01" * 20})
    assert inbound.filter_spec(None, "f").from_block == "latest"
    with pytest.raises(InvalidParams):
        inbound.filter_spec({"topics": [None] * 5}, "f")


def test_params_arity() -> None:
    assert Params("m", ["a"]).take(1, 2) == ["a", None, None]
    with pytest.raises(InvalidParams, match="m expects 1 to 3 parameters, got 0"):
        Params("m", []).take(1, 2)
    with pytest.raises(InvalidParams):
        Params("m", [1, 2]).take(1)


def test_storage_slot_accepts_both_forms() -> None:
    assert inbound.storage_slot("0x1", "s") == 1
    assert inbound.storage_slot("0x" + "00" * 31 + "01", "s") == 1
    with pytest.raises(InvalidParams):
        inbound.storage_slot("0x" + "00" * 33, "s")


def test_call_nonce_is_validated_but_not_checked() -> None:
    assert inbound.call_request({"to": "0x" + "02" * 20, "nonce": "0x5"}, "tx").nonce is None
    with pytest.raises(InvalidParams):
        inbound.call_request({"to": "0x" + "02" * 20, "nonce": "five"}, "tx")
