"""The JSON-RPC client against real hostile HTTP servers: every failure is bounded and named."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from platform_checks.endpoints import parse_endpoint
from platform_checks.exceptions import RpcCallFailed
from platform_checks.rpc_client import RpcClient, new_http_client
from tests.platform_checks.conftest import local_settings
from tests.platform_checks.rpc_servers import (
    huge_responder,
    raw_responder,
    redirect_responder,
    serve,
    shape_responder,
    slow_responder,
    trickle_responder,
)


def call(url: str, method: str = "eth_chainId", token: str | None = None, **settings: object) -> object:
    async def go() -> object:
        async with new_http_client() as http:
            client = RpcClient(
                parse_endpoint(url, token),
                settings=local_settings(**settings),
                http=http,
                semaphore=asyncio.Semaphore(4),
            )
            return await client.call(method, [])

    return asyncio.run(go())


def failure(url: str, **settings: object) -> RpcCallFailed:
    with pytest.raises(RpcCallFailed) as info:
        call(url, "eth_chainId", None, **settings)
    return info.value


def test_honest_answer_and_bearer_token_sent() -> None:
    with serve(shape_responder("0x539")) as server:
        assert call(server.url, token="s3cret") == "0x539"
        assert server.seen_headers[-1]["Authorization"] == "Bearer s3cret"
        assert server.seen_headers[-1]["Accept-Encoding"] == "identity"


def test_slow_endpoint_times_out() -> None:
    with serve(slow_responder(3.0)) as server:
        started = time.monotonic()
        exc = failure(server.url, call_timeout_s=0.4)
        assert exc.kind == "timeout"
        assert time.monotonic() - started < 2.5


def test_trickling_endpoint_is_cut_by_the_whole_call_deadline() -> None:
    with serve(trickle_responder(4.0)) as server:
        started = time.monotonic()
        exc = failure(server.url, call_timeout_s=0.5)
        assert exc.kind == "timeout"
        assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("declare_length", [True, False])
def test_huge_response_stops_at_the_cap(declare_length: bool) -> None:
    with serve(huge_responder(20_000_000, declare_length=declare_length)) as server:
        exc = failure(server.url, max_response_bytes=100_000)
        assert exc.kind == "too_large"
        assert "100000" in exc.message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2, 3]", "not a JSON-RPC object"),
        (json.dumps({"jsonrpc": "2.0", "id": 999, "result": "0x1"}).encode(), "not a JSON-RPC 2.0 answer"),
        (json.dumps({"jsonrpc": "2.0", "id": 1}).encode(), "neither result nor error"),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "error": "boom"}).encode(), "malformed JSON-RPC error"),
        (b"[" * 100_000, "nests deeper"),
        (b'{"jsonrpc": "2.0", "id": 1, "result": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nests deeper"),
    ],
)
def test_malformed_envelopes(body: bytes, fragment: str) -> None:
    with serve(raw_responder(body)) as server:
        exc = failure(server.url)
        assert exc.kind == "malformed"
        assert fragment in exc.message


def test_rpc_error_object_keeps_its_code() -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found"}})
    with serve(raw_responder(body.encode())) as server:
        exc = failure(server.url)
        assert exc.kind == "rpc_error"
        assert exc.rpc_code == -32601


def test_redirects_are_never_followed() -> None:
    with serve(redirect_responder()) as server:
        exc = failure(server.url)
        assert exc.kind == "redirect"
        assert len(server.seen_headers) == 1


def test_http_error_status() -> None:
    with serve(raw_responder(b"oops", status=500)) as server:
        assert failure(server.url).kind == "http_status"


def test_closed_port_is_unreachable() -> None:
    with serve(raw_responder(b"")) as server:
        url = server.url
    assert failure(url).kind == "unreachable"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8545/",
        "http://10.1.2.3:8545/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8545/",
        "http://[::ffff:127.0.0.1]:8545/",
        "http://192.168.0.10/",
        "http://100.64.0.1/",
        "http://localhost:8545/",
    ],
)
def test_private_targets_are_refused_without_a_connection(url: str) -> None:
    exc = failure(url, allow_private=False)
    assert exc.kind == "refused"
    assert "refused" in exc.message or "non-public" in exc.message


def test_refusal_happens_before_any_request_reaches_a_private_server() -> None:
    with serve(shape_responder("0x1")) as server:
        assert failure(server.url, allow_private=False).kind == "refused"
        assert server.seen_headers == []


def test_unresolvable_host_is_unreachable_not_refused() -> None:
    exc = failure("http://no-such-host.invalid:8545/", allow_private=False)
    assert exc.kind == "unreachable"
    assert "cannot resolve" in exc.message


def test_queueing_for_a_slot_does_not_count_against_the_call_deadline() -> None:
    async def go(url: str) -> list[object]:
        async with new_http_client() as http:
            semaphore = asyncio.Semaphore(1)
            settings = local_settings(call_timeout_s=1.0)
            clients = [
                RpcClient(parse_endpoint(url), settings=settings, http=http, semaphore=semaphore)
                for _ in range(4)
            ]
            return list(await asyncio.gather(*(c.call("eth_chainId", []) for c in clients)))

    with serve(slow_responder(0.4)) as server:
        assert asyncio.run(go(server.url)) == ["0x1"] * 4  # 1.6 s in total, each call 0.4 s
