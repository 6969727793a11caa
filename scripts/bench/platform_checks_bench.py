"""Figures for platform_checks: seal recovery speed and a whole check against local 5-node networks.

Run: .venv/bin/python scripts/bench/platform_checks_bench.py
The liveness wait uses an injected clock (one simulated poll), so the figure is the probing cost only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from permitchain.rule_profile import default_profile
from platform_checks.block_header import header_from_json
from platform_checks.endpoints import parse_endpoint
from platform_checks.engines.bft_extra_data import BftLayout, commit_seal_signers, decode_bft_extra_data
from platform_checks.runner import run_platform_check
from platform_checks.settings import CheckSettings
from tests.platform_checks.chains import Chain, make_keys
from tests.platform_checks.conftest import node_id
from tests.platform_checks.rpc_servers import NodeBackend, json_responder, serve_many


def bench_seals(validators: int, blocks: int) -> None:
    chain = Chain("qbft", make_keys(validators))
    chain.mine(blocks)
    headers = [header_from_json(b) for b in chain.blocks[1:]]
    started = time.perf_counter()
    seals = 0
    for header in headers:
        extra = decode_bft_extra_data(header.extra_data, BftLayout.QBFT)
        seals += len(commit_seal_signers(header, extra))
    elapsed = time.perf_counter() - started
    print(
        f"QBFT n={validators}: {seals} commit seals over {blocks} blocks recovered in {elapsed:.3f} s "
        f"({seals / elapsed:.0f} seals/s)"
    )


def bench_run(engine: str, nodes: int, repeats: int) -> None:
    chain = Chain(engine, make_keys(nodes))
    chain.mine(20)
    ids = [node_id(i, 7) for i in range(nodes)]
    backends = [NodeBackend(chain, ids[i], peers=[p for p in ids if p != ids[i]]) for i in range(nodes)]
    now = [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]

    async def sleep(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)
        chain.mine(1)

    timings = []
    with serve_many([json_responder(b) for b in backends]) as servers:
        endpoints = [parse_endpoint(s.url) for s in servers]
        for _ in range(repeats):
            started = time.perf_counter()
            run = asyncio.run(
                run_platform_check(
                    endpoints,
                    profile=default_profile(),
                    settings=CheckSettings(allow_private=True),
                    clock=lambda: now[0],
                    sleep=sleep,
                )
            )
            timings.append(time.perf_counter() - started)
            if run.verdict.value != "pass":
                raise SystemExit(f"unexpected verdict {run.verdict.value}")
    print(
        f"whole check, {engine}, {nodes} local nodes, seal window 8: "
        f"median {statistics.median(timings):.3f} s, "
        f"max {max(timings):.3f} s over {repeats} runs"
    )


if __name__ == "__main__":
    bench_seals(5, 50)
    bench_seals(7, 50)
    for engine in ("qbft", "ibft2", "clique"):
        bench_run(engine, 5, 5)
