"""Fixtures for platform check tests: a controllable clock and local test networks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from platform_checks.settings import CheckSettings
from tests.platform_checks.chains import Chain, make_keys
from tests.platform_checks.rpc_servers import NodeBackend, RunningServer, json_responder, serve_many

START = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


@dataclass
class FakeTime:
    """The injected clock and sleeper: sleeping advances the clock and runs ``on_sleep`` hooks."""

    now: dt.datetime = START
    on_sleep: list[Callable[[], None]] = field(default_factory=list)
    slept: float = 0.0

    def clock(self) -> dt.datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.slept += seconds
        for hook in self.on_sleep:
            hook()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def local_settings(**overrides: object) -> CheckSettings:
    """Settings for local test servers: loopback allowed, short bounds."""
    values: dict[str, object] = {
        "allow_private": True,
        "call_timeout_s": 2.0,
        "check_timeout_s": 20.0,
        "liveness_window_s": 10.0,
        "liveness_poll_s": 1.0,
    }
    values.update(overrides)
    return CheckSettings(**values)  # type: ignore[arg-type]


def node_id(i: int, salt: int = 0) -> str:
    return f"{salt:02x}{i:02x}".ljust(128, "a")


@dataclass
class TestNetwork:
    chain: Chain
    backends: list[NodeBackend]
    servers: list[RunningServer]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]


def build_backends(
    engine: str,
    count: int,
    *,
    validators: int | None = None,
    blocks: int = 10,
    chain_id: int = 1337,
    salt: int = 0,
) -> tuple[Chain, list[NodeBackend]]:
    chain = Chain(engine, make_keys(validators or count, seed=salt + 1), chain_id=chain_id)
    chain.mine(blocks)
    ids = [node_id(i, salt) for i in range(count)]
    backends = [NodeBackend(chain, ids[i], peers=[p for p in ids if p != ids[i]]) for i in range(count)]
    return chain, backends


@contextmanager
def running_network(engine: str = "qbft", count: int = 5, **kwargs: object) -> Iterator[TestNetwork]:
    chain, backends = build_backends(engine, count, **kwargs)  # type: ignore[arg-type]
    with serve_many([json_responder(b) for b in backends]) as servers:
        yield TestNetwork(chain, backends, servers)
