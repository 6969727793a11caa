"""Endpoint URL validation and the public-address allow-list (no network needed)."""

from __future__ import annotations

import ipaddress

import pytest

from platform_checks.endpoints import address_is_public, parse_endpoint, parse_endpoints
from platform_checks.exceptions import EndpointRejected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("http://alice:secret@example.com/", "credentials"),
        ("http://example.com/#frag", "fragment"),
        ("http:///nohost", "no host"),
        ("http://" + "a" * 3000 + ".com/", "longer than"),
    ],
)
def test_bad_urls_are_rejected(url: str, message: str) -> None:
    with pytest.raises(EndpointRejected, match=message):
        parse_endpoint(url)


def test_token_rules_and_repr_hides_the_token() -> None:
    endpoint = parse_endpoint("https://node.example.kz:8545/rpc", "abc")
    assert "abc" not in repr(endpoint)
    for bad in ["", "a\r\nX-Injected: 1", "x" * 5000]:
        with pytest.raises(EndpointRejected):
            parse_endpoint("https://node.example.kz/", bad)


def test_endpoint_list_bounds() -> None:
    with pytest.raises(EndpointRejected, match="no endpoints"):
        parse_endpoints([], max_endpoints=4)
    with pytest.raises(EndpointRejected, match="at most 4"):
        parse_endpoints(["https://a.kz/"] * 5, max_endpoints=4)
    assert len(parse_endpoints(["https://a.kz/", "https://b.kz/"], max_endpoints=4)) == 2


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2a00:1450:4001::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.1.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
    ],
)
def test_address_allow_list(address: str, public: bool) -> None:
    assert address_is_public(ipaddress.ip_address(address)) is public
