"""JSON-RPC throughput of a devnet node: requests/s and latency for three calls clients make most.

Run: .venv/bin/python scripts/bench/rpc_throughput.py [--requests 2000] [--concurrency 8] [--json]
     (or --url http://127.0.0.1:8545 --key 0x... to measure a node that is already running)

Set-up: a devnet of ``--nodes`` validators (default 1: the RPC layer, not consensus, is measured; calls
go to the first node) started with ``devnet up`` in a temporary directory, the two registries deployed with
``contracts/deploy.py`` and one permit anchored. Then, per method, ``--requests`` calls are made over
HTTP keep-alive connections by ``--concurrency`` concurrent clients:

- ``eth_blockNumber``: the cheapest call, i.e. the cost of the transport, framing and dispatch;
- ``eth_call``: ``PermitRegistry.status_at`` of the anchored permit, i.e. a py-evm execution on head state;
- ``eth_getTransactionReceipt``: the anchor transaction's receipt, i.e. an index read plus formatting.

Figures: requests/s (wall clock, all clients together), p50 and p99 latency per request, errors.
The client runs on the same machine as the node, so both compete for the CPU. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from contracts.artifacts import load_artifact
from contracts.deploy import TransactionSender, deploy_registries
from node.devnet.network import down, up

ISSUER_ID = b"940140000385"


def prepare(url: str, key: str) -> dict[str, list[Any]]:
    """Deploy the registries, anchor one permit; return the params of each measured method."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    account = Account.from_key(key)
    addresses = deploy_registries(w3, admin=account, registrars=[account])
    permit = w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi)
    now = int(w3.eth.get_block("latest")["timestamp"])
    permit_hash = Web3.keccak(text=f"rpc bench permit {now}")
    args = [
        permit_hash,
        f"KZ-BENCH-{now}",
        ISSUER_ID,
        now - 86400,
        now + 3 * 365 * 86400,
        "Bench LLP",
        "bench",
    ]
    receipt = TransactionSender(w3, account).send(
        {"to": permit.address, "data": permit.encode_abi("anchor", args)}, "anchor"
    )
    status_call = {"to": permit.address, "data": permit.encode_abi("status_at", [permit_hash, now])}
    return {
        "eth_blockNumber": [],
        "eth_call": [status_call, "latest"],
        "eth_getTransactionReceipt": ["0x" + bytes(receipt["transactionHash"]).hex()],
    }


async def measure(
    url: str, method: str, params: list[Any], *, requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        # Warm-up: open the connections and let the node's caches settle.
        for _ in range(concurrency):
            await client.post(url, json={"jsonrpc": "2.0", "id": 0, "method": method, "params": params})

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                body = {"jsonrpc": "2.0", "id": remaining, "method": method, "params": params}
                started = time.perf_counter()
                response = await client.post(url, json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "error" in response.json():
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started

    ordered = sorted(latencies)
    return {
        "method": method,
        "requests": len(latencies),
        "concurrency": concurrency,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="calls per method")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--nodes", type=int, default=1, help="devnet size (calls go to the first node)")
    parser.add_argument("--url", help="measure this node instead of starting a devnet")
    parser.add_argument("--key", help="funded, allow-listed private key (with --url)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    if (args.url is None) != (args.key is None):
        parser.error("--url and --key go together")

    with tempfile.TemporaryDirectory(prefix="rpc-bench-") as tmp:
        directory = Path(tmp)
        if args.url is None:
            devnet = up(directory, nodes=args.nodes)
            url, key = devnet["rpc"][0], devnet["accounts"][0]["private_key"]
        else:
            url, key = args.url, args.key
        try:
            calls = prepare(url, key)
            results = [
                asyncio.run(
                    measure(url, method, params, requests=args.requests, concurrency=args.concurrency)
                )
                for method, params in calls.items()
            ]
        finally:
            if args.url is None:
                down(directory)

    if args.json:
        where = url if args.url else f"devnet ({args.nodes} nodes)"
        print(json.dumps({"target": where, "results": results}, indent=2))
    else:
        print(f"{'method':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for r in results:
            figures = f"{r['requests_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['errors']:>7}"
            print(f"{r['method']:28} {figures}")
        print(f"({args.requests} calls per method, {args.concurrency} concurrent clients, one host)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
