"""Registering namespaces: one call adds a namespace; clashes are refused; admin methods are guarded."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from node.rpc import CallContext, Method, Namespace, Params
from node.rpc.dispatch import Dispatcher
from node.rpc.limits import RpcLimits


def echo(params: Params, ctx: CallContext) -> object:
    (value,) = params.take(1)
    return value


async def slow_double(params: Params, ctx: CallContext) -> int:
    (value,) = params.take(1)
    await asyncio.sleep(0)
    return int(value) * 2


def run(dispatcher: Dispatcher, request: object, ctx: CallContext | None = None) -> Any:
    return asyncio.run(dispatcher.handle_text(json.dumps(request), ctx or CallContext()))


def test_one_registration_adds_a_namespace_listed_in_rpc_modules() -> None:
    dispatcher = Dispatcher(RpcLimits())
    dispatcher.register(
        Namespace("qbft", {"echo": Method(echo), "double": Method(slow_double)}, version="1.1")
    )
    assert run(dispatcher, {"jsonrpc": "2.0", "id": 1, "method": "qbft_echo", "params": ["x"]}) == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": "x",
    }
    assert (
        run(dispatcher, {"jsonrpc": "2.0", "id": 2, "method": "qbft_double", "params": [21]})["result"] == 42
    )
    modules = run(dispatcher, {"jsonrpc": "2.0", "id": 3, "method": "rpc_modules"})
    assert modules["result"]["qbft"] == "1.1"


def test_clashing_registration_is_refused() -> None:
    dispatcher = Dispatcher(RpcLimits())
    dispatcher.register(Namespace("qbft", {"echo": Method(echo)}))
    with pytest.raises(ValueError, match="already registered"):
        dispatcher.register(Namespace("qbft", {"other": Method(echo)}))


def test_admin_methods_need_admin_rights() -> None:
    dispatcher = Dispatcher(RpcLimits())
    dispatcher.register(Namespace("perm", {"poke": Method(echo, admin=True)}))
    request = {"jsonrpc": "2.0", "id": 1, "method": "perm_poke", "params": [1]}
    assert run(dispatcher, request)["error"]["code"] == -40100
    assert run(dispatcher, request, CallContext(is_admin=True))["result"] == 1


def test_notification_failures_stay_silent() -> None:
    dispatcher = Dispatcher(RpcLimits())
    assert run(dispatcher, {"jsonrpc": "2.0", "method": "missing"}) is None


def test_nesting_depth_is_checked_before_parsing() -> None:
    dispatcher = Dispatcher(RpcLimits())
    deep = b"[" * 200_000 + b"]" * 200_000  # would overflow the C stack inside json.loads
    answer: Any = asyncio.run(dispatcher.handle_text(deep, CallContext()))
    assert answer["error"]["code"] == -32600
    assert "nested deeper" in answer["error"]["message"]
    unbalanced: Any = asyncio.run(dispatcher.handle_text(b"[" * 200_000, CallContext()))
    assert unbalanced["error"]["code"] == -32600
    # brackets inside strings are data, not nesting
    quoted = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "nope", "params": ["[" * 100]})
    assert run(dispatcher, json.loads(quoted))["error"]["code"] == -32601


def test_a_bug_in_a_handler_is_an_internal_error_without_details() -> None:
    def broken(params: Params, ctx: CallContext) -> object:
        raise KeyError("internal-state-detail")

    dispatcher = Dispatcher(RpcLimits())
    dispatcher.register(Namespace("qbft", {"broken": Method(broken)}))
    answer = run(dispatcher, {"jsonrpc": "2.0", "id": 9, "method": "qbft_broken"})
    assert answer["id"] == 9
    assert answer["error"]["code"] == -32603
    assert "internal-state-detail" not in json.dumps(answer)
    assert answer["error"]["data"]["correlationId"] in answer["error"]["message"]


def test_offloaded_blocking_call_does_not_hold_up_the_loop() -> None:
    release = threading.Event()
    seen_threads: list[str] = []

    def slow(params: Params, ctx: CallContext) -> str:
        seen_threads.append(threading.current_thread().name)
        if not release.wait(timeout=30):
            raise TimeoutError("never released")
        return "slow done"

    def fast(params: Params, ctx: CallContext) -> str:
        release.set()  # only reachable while `slow` is parked in its worker thread
        return "fast done"

    async def scenario(dispatcher: Dispatcher) -> list[Any]:
        slow_call = asyncio.create_task(
            dispatcher.handle_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "x_slow"}), CallContext())
        )
        await asyncio.sleep(0)
        while not seen_threads:
            await asyncio.sleep(0.001)
        fast_answer = await dispatcher.handle_text(
            json.dumps({"jsonrpc": "2.0", "id": 2, "method": "x_fast"}), CallContext()
        )
        return [await slow_call, fast_answer]

    dispatcher = Dispatcher(RpcLimits(), offload_blocking=True)
    dispatcher.register(Namespace("x", {"slow": Method(slow, blocking=True), "fast": Method(fast)}))
    slow_answer, fast_answer = asyncio.run(scenario(dispatcher))
    assert slow_answer["result"] == "slow done"
    assert fast_answer["result"] == "fast done"
    assert seen_threads[0] != threading.main_thread().name
