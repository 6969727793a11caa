"""The nesting guard measures structure, ignores strings, and bounds what a parser would recurse."""

from __future__ import annotations

import json

import pytest

from permitchain.json_nesting import MAX_JSON_DEPTH, json_depth, nested_deeper_than


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": "[[[[["}]}', 3),
        (b'["\\"[[[", [[]]]', 3),
        (b"]]]][[", 0),
        (b"[" * 100_000, 100_000),
    ],
)
def test_depth_counts_structure_not_string_content(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth


def test_depth_agrees_with_the_parser_on_valid_documents() -> None:
    doc = {"jsonrpc": "2.0", "params": [{"topics": [["0x1", "0x2"], None]}], "s": "[{[{"}
    raw = json.dumps(doc).encode()
    assert json_depth(raw) == 5  # object, params, filter, topics, OR-list
    assert not nested_deeper_than(raw)


def test_guard_refuses_only_past_the_limit() -> None:
    assert not nested_deeper_than(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert nested_deeper_than(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    assert nested_deeper_than(b"[" * 1_000_000)
