"""Applicant endpoints and the SSRF guard that decides whether the service may call them.

A URL is refused unless its scheme is http(s), it carries no credentials, and (when private addresses
are not allowed) EVERY address its host resolves to is globally routable. The call then goes to the
address that was checked, not to a fresh resolution, so DNS rebinding cannot swap it afterwards.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from platform_checks.exceptions import EndpointRejected, EndpointUnresolvable

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2048
MAX_TOKEN_LENGTH = 4096

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One declared node RPC endpoint; the bearer token is never printed or put in a report."""

    url: str
    token: str | None = field(default=None, repr=False)


def parse_endpoint(url: str, token: str | None = None) -> Endpoint:
    """Validate the shape of an endpoint URL (no network access yet)."""
    if len(url) > MAX_URL_LENGTH:
        raise EndpointRejected(f"endpoint URL longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise EndpointRejected(f"not a valid URL: {url!r}") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise EndpointRejected(f"only http and https endpoints are allowed, got {url!r}")
    if parsed.userinfo:
        raise EndpointRejected("credentials in the URL are refused; pass a bearer token instead")
    if not parsed.host:
        raise EndpointRejected(f"endpoint URL has no host: {url!r}")
    if parsed.fragment:
        raise EndpointRejected(f"endpoint URL must not carry a fragment: {url!r}")
    if token is not None and (
        not token or len(token) > MAX_TOKEN_LENGTH or any(c in token for c in "\r\n\0")
    ):
        raise EndpointRejected("bearer token is empty, too long or contains control characters")
    return Endpoint(url=str(parsed), token=token)


def parse_endpoints(urls: Sequence[str], *, max_endpoints: int) -> tuple[Endpoint, ...]:
    """Parse a declared list; an empty or oversized list is refused before any call."""
    if not urls:
        raise EndpointRejected("no endpoints given")
    if len(urls) > max_endpoints:
        raise EndpointRejected(f"{len(urls)} endpoints given, at most {max_endpoints} are probed")
    return tuple(parse_endpoint(u) for u in urls)


def address_is_public(address: IpAddress) -> bool:
    """Only globally routable unicast addresses count as public (an allow-list, not a deny-list)."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_is_public(mapped)
        if address.teredo is not None:
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """The URL to request (host replaced by the checked address) and the original host for TLS/Host."""

    url: httpx.URL
    host: str
    addresses: tuple[str, ...]


async def resolve_target(endpoint: Endpoint, *, allow_private: bool, timeout_s: float) -> ResolvedTarget:
    """Resolve the endpoint's host, check every address, and pin the request to the first one."""
    parsed = httpx.URL(endpoint.url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal: IpAddress | None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IpAddress] = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout_s):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError) as exc:
            raise EndpointUnresolvable(f"cannot resolve host {host!r}: {exc or 'timed out'}") from exc
        addresses = []
        for info in infos:
            text = str(info[4][0]).split("%", 1)[0]
            address = ipaddress.ip_address(text)
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise EndpointUnresolvable(f"host {host!r} resolves to no address")
    if not allow_private:
        refused = [str(a) for a in addresses if not address_is_public(a)]
        if refused:
            raise EndpointRejected(
                f"endpoint {endpoint.url} resolves to non-public address(es) {', '.join(refused)}; "
                "private, loopback and link-local targets are refused"
            )
    pinned = parsed.copy_with(host=str(addresses[0]))
    return ResolvedTarget(url=pinned, host=host, addresses=tuple(str(a) for a in addresses))
