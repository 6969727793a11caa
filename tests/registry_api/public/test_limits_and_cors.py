"""Per-IP token bucket (429 + Retry-After) and CORS on the public paths only."""

from __future__ import annotations

import pytest

from registry_api.public.rate_limit import RateLimiter, TokenBucket, client_address

pytestmark = [pytest.mark.network]


def test_token_bucket_refills_with_time():
    bucket = TokenBucket(capacity=2, rate=1.0, tokens=2, updated=0.0)
    assert bucket.take(0.0) == 0 and bucket.take(0.0) == 0
    assert bucket.take(0.0) == pytest.approx(1.0)
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.take(1.0) == 0


def test_limiter_is_per_client_and_bounded():
    limiter = RateLimiter(rate=1.0, burst=1, max_clients=2)
    assert limiter.take("a", 0.0) == 0 and limiter.take("a", 0.0) > 0
    assert limiter.take("b", 0.0) == 0
    limiter.take("c", 0.0)  # evicts "a", the least recently seen
    assert limiter.take("a", 0.0) == 0


def test_429_with_retry_after_on_public_paths_only(app, client):
    app.state.public.limiter = RateLimiter(rate=0.01, burst=2)
    codes = [client.get("/v1/public/issuers/000000000000").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    limited = client.get("/verify", headers={"Origin": "https://platform.example"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["code"] == "too_many_requests"
    assert limited.headers["access-control-allow-origin"] == "*"
    assert client.get("/openapi.json").status_code == 200  # not a public path: not limited


def test_cors_for_public_paths_only(client):
    origin = {"Origin": "https://platform.example"}
    answer = client.get("/v1/public/issuers/000000000000", headers=origin)
    assert answer.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/v1/public/verify",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers
    private = client.get("/v1/applications", headers=origin)
    assert "access-control-allow-origin" not in private.headers
    denied = client.options("/v1/applications", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in denied.headers


def test_the_client_behind_our_proxy_is_read_from_x_forwarded_for():
    proxies = frozenset({"10.0.0.1"})

    def scope(peer: str, forwarded: str | None = None):
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return {"client": (peer, 5000), "headers": headers}

    assert client_address(scope("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"  # not our proxy
    assert client_address(scope("10.0.0.1", "6.6.6.6, 198.51.100.7"), proxies) == "198.51.100.7"
    assert client_address(scope("10.0.0.1", "198.51.100.7, 10.0.0.1"), proxies) == "198.51.100.7"
    assert client_address(scope("10.0.0.1"), proxies) == "10.0.0.1"


def test_clients_behind_the_proxy_get_their_own_buckets(app, client):
    app.state.public.limiter = RateLimiter(rate=0.01, burst=1)
    app.state.public.trusted_proxies = frozenset({"testclient"})
    first = {"X-Forwarded-For": "198.51.100.1"}
    second = {"X-Forwarded-For": "198.51.100.2"}
    assert client.get("/verify", headers=first).status_code == 200
    assert client.get("/verify", headers=first).status_code == 429
    assert client.get("/verify", headers=second).status_code == 200
