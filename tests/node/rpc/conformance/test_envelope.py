"""JSON-RPC 2.0 framing over HTTP: parse errors, invalid requests, batches, notifications, limits."""

from __future__ import annotations

import json

import httpx

from tests.node.rpc.conformance.conftest import RpcTarget

JSON = {"content-type": "application/json"}


def post(rpc: RpcTarget, content: bytes | str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(rpc.url, content=content, headers=headers or JSON, timeout=30)


def test_malformed_json_is_a_parse_error(rpc: RpcTarget) -> None:
    response = post(rpc, b'{"jsonrpc": "2.0", "method": "eth_chainId", "id": 1')
    assert response.status_code == 200
    body = response.json()
    assert body["error"]["code"] == -32700
    assert body["id"] is None
    assert "Traceback" not in response.text


def test_nan_is_not_json(rpc: RpcTarget) -> None:
    body = post(rpc, b'{"jsonrpc": "2.0", "method": "eth_chainId", "id": NaN}').json()
    assert body["error"]["code"] == -32700


def test_request_that_is_not_an_object_is_invalid(rpc: RpcTarget) -> None:
    body = post(rpc, b'"eth_chainId"').json()
    assert body["error"]["code"] == -32600


def test_missing_version_method_or_bad_params_are_invalid_requests(rpc: RpcTarget) -> None:
    for request in (
        {"method": "eth_chainId", "id": 1},
        {"jsonrpc": "1.0", "method": "eth_chainId", "id": 1},
        {"jsonrpc": "2.0", "method": 5, "id": 1},
        {"jsonrpc": "2.0", "method": "eth_chainId", "params": {"a": 1}, "id": 1},
        {"jsonrpc": "2.0", "method": "eth_chainId", "params": "0x1", "id": 1},
    ):
        body = post(rpc, json.dumps(request)).json()
        assert body["error"]["code"] == -32600, request
        assert body["id"] == 1


def test_unknown_method(rpc: RpcTarget) -> None:
    error = rpc.error("eth_doesNotExist")
    assert error["code"] == -32601
    assert "eth_doesNotExist" in error["message"]


def test_wrong_parameter_count_is_invalid_params(rpc: RpcTarget) -> None:
    assert rpc.error("eth_chainId", "extra")["code"] == -32602
    assert rpc.error("eth_getBalance")["code"] == -32602


def test_id_is_echoed_with_its_type(rpc: RpcTarget) -> None:
    for request_id in ("abc", 7, None):
        body = post(rpc, json.dumps({"jsonrpc": "2.0", "method": "eth_chainId", "id": request_id})).json()
        assert body["id"] == request_id
        assert body["result"] == hex(rpc.chain_id)


def test_batch_answers_each_call_in_order_and_skips_notifications(rpc: RpcTarget) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "eth_chainId", "id": 1},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # notification: no answer
        {"jsonrpc": "2.0", "method": "nope", "id": 2},
        5,
        {"jsonrpc": "2.0", "method": "net_version", "id": 3},
    ]
    body = post(rpc, json.dumps(batch)).json()
    assert [item["id"] for item in body] == [1, 2, None, 3]
    assert body[0]["result"] == hex(rpc.chain_id)
    assert body[1]["error"]["code"] == -32601
    assert body[2]["error"]["code"] == -32600
    assert body[3]["result"] == str(rpc.chain_id)


def test_empty_batch_is_one_invalid_request(rpc: RpcTarget) -> None:
    body = post(rpc, b"[]").json()
    assert body["error"]["code"] == -32600


def test_batch_over_the_cap_is_refused_whole(rpc: RpcTarget) -> None:
    cap = rpc.limits.max_batch
    batch = [{"jsonrpc": "2.0", "method": "eth_chainId", "id": i} for i in range(cap + 1)]
    body = post(rpc, json.dumps(batch)).json()
    assert isinstance(body, dict)
    assert body["error"]["code"] == -32600
    assert body["error"]["data"] == {"code": "batch_too_large", "limit": cap}
    at_cap = post(rpc, json.dumps(batch[:cap])).json()
    assert len(at_cap) == cap


def test_only_notifications_get_no_content(rpc: RpcTarget) -> None:
    response = post(rpc, json.dumps({"jsonrpc": "2.0", "method": "eth_chainId"}))
    assert response.status_code == 204
    assert response.content == b""


def test_oversized_body_is_refused_with_413(rpc: RpcTarget) -> None:
    padding = "0x" + "00" * rpc.limits.max_body_bytes
    response = post(rpc, json.dumps({"jsonrpc": "2.0", "method": "web3_sha3", "params": [padding], "id": 1}))
    assert response.status_code == 413
    assert response.json()["error"]["data"]["code"] == "request_too_large"


def test_oversized_body_without_content_length_is_refused(rpc: RpcTarget) -> None:
    chunk = b" " * 65536

    def chunks():
        for _ in range(rpc.limits.max_body_bytes // len(chunk) + 2):
            yield chunk

    response = httpx.post(rpc.url, content=chunks(), headers=JSON, timeout=30)
    assert response.status_code == 413


def test_non_json_content_type_is_refused(rpc: RpcTarget) -> None:
    # A web page can POST text/plain without a CORS preflight; only application/json is served.
    request = json.dumps({"jsonrpc": "2.0", "method": "eth_chainId", "id": 1})
    response = post(rpc, request, headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == -32600


def test_get_is_not_served(rpc: RpcTarget) -> None:
    assert httpx.get(rpc.url, timeout=30).status_code == 405


def test_rpc_modules_lists_namespaces(rpc: RpcTarget) -> None:
    modules = rpc.result("rpc_modules")
    assert {"eth", "net", "web3", "admin", "perm", "rpc"} <= set(modules)


def test_deeply_nested_json_is_refused_cleanly(rpc: RpcTarget) -> None:
    response = post(rpc, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 200
    assert response.json()["error"]["code"] in {-32700, -32600}


def test_ids_that_cannot_be_echoed_are_invalid(rpc: RpcTarget) -> None:
    for raw_id in ("1e999", "true", "[1]", '{"a": 1}'):
        text = '{"jsonrpc": "2.0", "method": "eth_chainId", "id": ' + raw_id + "}"
        body = post(rpc, text).json()
        assert body["error"]["code"] == -32600, raw_id
        assert body["id"] is None


def test_json_rpc_media_types_of_geth_are_accepted(rpc: RpcTarget) -> None:
    request = json.dumps({"jsonrpc": "2.0", "method": "eth_chainId", "id": 1})
    for media_type in ("application/json-rpc", "application/json; charset=utf-8"):
        assert post(rpc, request, headers={"content-type": media_type}).json()["result"] == hex(rpc.chain_id)
