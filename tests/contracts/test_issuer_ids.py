"""Issuer ids: twelve ASCII digits in and out of a bytes12."""

from __future__ import annotations

import pytest

from contracts.exceptions import InvalidValueError
from contracts.issuer_ids import decode_issuer_id, encode_issuer_id


def test_round_trip_and_topic_form():
    raw = encode_issuer_id("940140000385")
    assert raw == b"940140000385" and len(raw) == 12
    assert decode_issuer_id(raw) == "940140000385"
    assert decode_issuer_id(raw.ljust(32, b"\0")) == "940140000385"


@pytest.mark.parametrize(
    "bad", ["", "94014000038", "9401400003850", "94014000038X", "٩٤٠١٤٠٠٠٠٣٨٥", " 94014000038"]
)
def test_encode_refuses_anything_but_twelve_ascii_digits(bad):
    with pytest.raises(InvalidValueError, match="12 digits"):
        encode_issuer_id(bad)


@pytest.mark.parametrize("bad", [bytes(12), b"94014000038", b"94014000038X"])
def test_decode_refuses_non_ids(bad):
    with pytest.raises(InvalidValueError, match="not an issuer id"):
        decode_issuer_id(bad)
