"""Whatever an endpoint sends, parsing yields a value or MalformedValue: never another exception."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from permitchain.rule_profile import RuleProfile
from platform_checks import collect
from platform_checks.block_header import header_from_json
from platform_checks.endpoints import parse_endpoint
from platform_checks.engines.bft_extra_data import BftLayout, decode_bft_extra_data
from platform_checks.model import CheckId, CheckStatus
from platform_checks.nesting_limits import json_depth, rlp_depth_exceeds
from platform_checks.runner import run_platform_check
from platform_checks.wire_values import MalformedValue
from tests.platform_checks.chains import Chain, make_keys
from tests.platform_checks.conftest import FakeTime, local_settings, running_network
from tests.platform_checks.rpc_servers import serve, shape_responder

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(list(BftLayout)))
def test_bft_decoder_on_arbitrary_bytes(raw: bytes, layout: BftLayout) -> None:
    with contextlib.suppress(MalformedValue):
        decode_bft_extra_data(raw, layout)


def test_deeply_nested_rlp_is_malformed_not_a_crash() -> None:
    encoded = b"\xc0"
    for _ in range(5000):  # wrap in lists by hand: encoding it with rlp would itself recurse
        size = len(encoded)
        if size < 56:
            prefix = bytes([0xC0 + size])
        else:
            length = size.to_bytes((size.bit_length() + 7) // 8, "big")
            prefix = bytes([0xF7 + len(length)]) + length
        encoded = prefix + encoded
    with pytest.raises(MalformedValue):
        decode_bft_extra_data(encoded, BftLayout.QBFT)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parsers_on_arbitrary_json(value: Any) -> None:
    for parse in (
        collect._identity,
        collect._peers,
        collect.block_hash_reading,
        collect.quantity_reading,
        collect._text,
        header_from_json,
    ):
        with contextlib.suppress(MalformedValue):
            parse(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["hash", "number", "extraData", "miner", "nonce"]), json_values))
def test_block_with_broken_fields(overrides: dict[str, Any]) -> None:
    block = dict(Chain("qbft", make_keys(4)).blocks[0])
    block.update(overrides)
    with contextlib.suppress(MalformedValue):
        header_from_json(block)


@pytest.mark.parametrize("result", [{"weird": 1}, [1, 2], "0xZZ", "0x" + "f" * 70])
def test_node_answering_wrong_shapes_is_unreachable_not_a_crash(
    rule_profile: RuleProfile, fake_time: FakeTime, result: Any
) -> None:
    with running_network("qbft", 5) as net, serve(shape_responder(result)) as odd:
        fake_time.on_sleep.append(lambda: net.chain.mine(1))
        outcome = asyncio.run(
            run_platform_check(
                [parse_endpoint(u) for u in [*net.urls, odd.url]],
                profile=rule_profile,
                settings=local_settings(),
                clock=fake_time.clock,
                sleep=fake_time.sleep,
            )
        )
    reach = next(r for r in outcome.results if r.check is CheckId.REACHABILITY)
    assert reach.status is CheckStatus.FAIL
    assert reach.facts["unreachable"] == [odd.url]


def test_nesting_measures() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[["}]}') == 3
    assert json_depth(b"[" * 100_000) == 100_000
    assert not rlp_depth_exceeds(bytes.fromhex(Chain("qbft", make_keys(4)).blocks[0]["extraData"][2:]))
    assert rlp_depth_exceeds(rlp.encode([[[[[b"x"]]]]]))
    assert not rlp_depth_exceeds(b"\xff\xff")
