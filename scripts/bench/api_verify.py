#!/usr/bin/env python3
"""Benchmark the public read side: issuer status and verification endpoints against a devnet node.

Starts a one-node devnet, deploys the registries, anchors a few signed permits, serves the registry
API (uvicorn, its own process) and measures requests/s and p50/p99 latency for each endpoint, next to a
trivial endpoint on the same app and middleware stack (the ceiling). Prints figures only.

    .venv/bin/python scripts/bench/api_verify.py [--requests 1000] [--concurrency 8] [--head-ttl 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from node.devnet.network import free_port  # noqa: E402
from tests.registry_api.verification.devnet_env import start_chain_env  # noqa: E402

TRIVIAL = "/v1/public/_bench_trivial"


def serve(options: dict[str, Any]) -> None:
    """The child process: the real app (dev PKI trust, public side on the devnet) plus a trivial route."""
    port, rpc_url, contracts, db = options["port"], options["rpc_url"], options["contracts"], options["db"]
    pki_dir, regulator_bin, ttl = options["pki_dir"], options["regulator_bin"], options["ttl"]
    import uvicorn  # noqa: PLC0415

    from registry_api.core.config import load_settings  # noqa: PLC0415
    from registry_api.main import create_app  # noqa: PLC0415
    from registry_api.public import PublicSettings, build_context  # noqa: PLC0415
    from registry_api.services.signatures import build_ports  # noqa: PLC0415

    settings = load_settings(
        environment="test",
        database_url=f"sqlite:///{db}",
        dev_pki_dir=Path(pki_dir),
        regulator_bin=regulator_bin,
    )
    verifier, head = build_ports(settings)
    app = create_app(settings, verifier=verifier, head_signer=head)
    public = PublicSettings(
        rpc_url=rpc_url,
        contracts_file=Path(contracts),
        head_ttl_seconds=ttl,
        rate_per_second=1e9,
        burst=10**9,
    )
    app.state.public = build_context(settings, public)

    @app.get(TRIVIAL)
    def trivial() -> dict[str, bool]:
        return {"ok": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def measure(
    base: str, name: str, request: dict[str, Any], *, requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for _ in range(concurrency):  # warm-up: connections open, caches filled
            await client.request(**request)

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.request(**request)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "endpoint": name,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "errors": errors,
    }


def wait_until_up(base: str, process: BaseProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise SystemExit("the API process exited during start-up")
        try:
            if httpx.get(base + TRIVIAL, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the API did not start within 60 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--head-ttl", type=float, default=0.5, help="seconds a head read is reused (0: no cache)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="api-verify-bench-") as tmp:
        envs = start_chain_env(Path(tmp))
        env = next(envs)
        try:
            permit = env.make_permit()
            for _ in range(5):
                env.make_permit()  # a register with a few entries and logs to index
            port = free_port()
            context = multiprocessing.get_context("spawn")
            process = context.Process(
                target=serve,
                args=(
                    {
                        "port": port,
                        "rpc_url": env.rpc_url,
                        "contracts": str(env.contracts_file()),
                        "pki_dir": str(env.pki.directory),
                        "regulator_bin": env.regulator_bin,
                        "db": str(Path(tmp) / "bench.sqlite3"),
                        "ttl": args.head_ttl,
                    },
                ),
                daemon=True,
            )
            process.start()
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_up(base, process)
                upload = {
                    "document": ("permit.json", permit.document, "application/json"),
                    "signature": ("permit.json.p7s", permit.signature, "application/octet-stream"),
                }
                endpoints: list[tuple[str, dict[str, Any]]] = [
                    ("trivial (ceiling)", {"method": "GET", "url": TRIVIAL}),
                    ("issuer status", {"method": "GET", "url": f"/v1/public/issuers/{permit.issuer_id}"}),
                    ("permit status", {"method": "GET", "url": f"/v1/public/permits/{permit.number}"}),
                    ("verify by number", {"method": "GET", "url": f"/v1/public/verify/{permit.number}"}),
                    ("verify upload+CMS", {"method": "POST", "url": "/v1/public/verify", "files": upload}),
                ]
                results = [
                    asyncio.run(
                        measure(base, name, req, requests=args.requests, concurrency=args.concurrency)
                    )
                    for name, req in endpoints
                ]
            finally:
                process.terminate()
                process.join(timeout=10)
        finally:
            envs.close()

    ceiling = results[0]["requests_per_s"]
    for r in results:
        r["share_of_ceiling"] = round(r["requests_per_s"] / ceiling, 2) if ceiling else None
    if args.json:
        print(json.dumps({"head_ttl_seconds": args.head_ttl, "results": results}, indent=2))
    else:
        print(f"{'endpoint':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'x ceiling':>10}")
        for r in results:
            figures = f"{r['requests_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['errors']:>7}"
            print(f"{r['endpoint']:22} {figures} {r['share_of_ceiling']:>10}")
        print(
            f"({args.requests} requests per endpoint, {args.concurrency} concurrent clients, one host; "
            f"chain reads cached per block, head re-read every {args.head_ttl} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
