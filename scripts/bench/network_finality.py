"""Finality on the five-validator QBFT devnet: a lone transaction, then a load of transfers.

Run: .venv/bin/python scripts/bench/network_finality.py [--nodes 5] [--lone 40] [--load 1500] [--senders 8]

Starts ``devnet up`` (real node processes on loopback, QBFT over the p2p transport), then:

* lone: ``--lone`` transfers one at a time, each sent to the next node in turn, with a short pause
  (1 s) between them; latency = send to the receipt showing on the node it was sent to (a committed block
  is final in QBFT: ``finalized`` = ``latest``), and to the receipt showing on every node;
* load: ``--load`` pre-signed transfers from ``--senders`` accounts sent as fast as the nodes accept
  them (senders spread over the nodes); a poller on node-0 notes when each appears in a block.
  Figures: finalized tx/s (first send to last inclusion), latency p50/p99, blocks and transactions per
  block;
* RSS of every node process before and after.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from node.devnet.network import down, up

RECIPIENT = "0x" + "77" * 20


def _call(client: httpx.Client, url: str, method: str, params: list[Any]) -> Any:
    body = client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _sign(key: str, nonce: int, chain_id: int) -> str:
    tx = {"nonce": nonce, "gas": 21_000, "to": RECIPIENT, "value": 1, "gasPrice": 0, "chainId": chain_id}
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


def lone(description: dict[str, Any], count: int) -> dict[str, float]:
    urls = description["rpc"]
    chain_id = description["chain_id"]
    account = description["accounts"][0]
    to_sender: list[float] = []
    to_all: list[float] = []
    with httpx.Client(timeout=10) as client:
        nonce = int(_call(client, urls[0], "eth_getTransactionCount", [account["address"], "pending"]), 16)
        for i in range(count):
            raw = _sign(account["private_key"], nonce + i, chain_id)
            url = urls[i % len(urls)]
            started = time.perf_counter()
            tx_hash = _call(client, url, "eth_sendRawTransaction", [raw])
            while not _call(client, url, "eth_getTransactionReceipt", [tx_hash]):
                time.sleep(0.002)
            to_sender.append(time.perf_counter() - started)
            while not all(_call(client, u, "eth_getTransactionReceipt", [tx_hash]) for u in urls):
                time.sleep(0.002)
            to_all.append(time.perf_counter() - started)
            # A lone transaction: idle again before the next. Block timestamps are whole seconds and
            # may run at most 2 s ahead, so more than one block a second for long would measure that cap.
            time.sleep(1.0)
    return {
        "lone_p50_ms": statistics.median(to_sender) * 1000,
        "lone_p99_ms": _percentile(to_sender, 0.99) * 1000,
        "lone_all_nodes_p50_ms": statistics.median(to_all) * 1000,
        "lone_all_nodes_p99_ms": _percentile(to_all, 0.99) * 1000,
    }


def load(description: dict[str, Any], count: int, senders: int) -> dict[str, float]:
    urls = description["rpc"]
    chain_id = description["chain_id"]
    accounts = description["accounts"][1 : 1 + senders]
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    lock = threading.Lock()
    stop = threading.Event()
    with httpx.Client(timeout=10) as client:
        start_block = int(_call(client, urls[0], "eth_blockNumber", []), 16)
        nonces = [
            int(_call(client, urls[0], "eth_getTransactionCount", [a["address"], "pending"]), 16)
            for a in accounts
        ]
    per_sender = count // len(accounts)
    signed = [
        [_sign(a["private_key"], nonces[s] + n, chain_id) for n in range(per_sender)]
        for s, a in enumerate(accounts)
    ]

    def poll() -> None:
        number = start_block + 1
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                block = _call(client, urls[0], "eth_getBlockByNumber", [hex(number), False])
                if block is None:
                    time.sleep(0.005)
                    continue
                now = time.perf_counter()
                with lock:
                    for tx_hash in block["transactions"]:
                        seen_at[tx_hash] = now
                number += 1

    def send(index: int) -> None:
        url = urls[index % len(urls)]
        with httpx.Client(timeout=10) as client:
            for raw in signed[index]:
                started = time.perf_counter()
                tx_hash = _call(client, url, "eth_sendRawTransaction", [raw])
                with lock:
                    sent_at[tx_hash] = started

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    first = time.perf_counter()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(accounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        with lock:
            if all(h in seen_at for h in sent_at):
                break
        time.sleep(0.05)
    stop.set()
    poller.join()
    with httpx.Client(timeout=10) as client:
        end_block = int(_call(client, urls[0], "eth_blockNumber", []), 16)
    latencies = [seen_at[h] - sent_at[h] for h in sent_at if h in seen_at]
    last = max(seen_at.values())
    blocks = end_block - start_block
    return {
        "load_transactions": len(sent_at),
        "load_finalized": len(latencies),
        "load_tx_per_s": len(latencies) / (last - first),
        "load_p50_ms": statistics.median(latencies) * 1000,
        "load_p99_ms": _percentile(latencies, 0.99) * 1000,
        "load_blocks": blocks,
        "load_tx_per_block": len(latencies) / max(blocks, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--lone", type=int, default=40)
    parser.add_argument("--load", type=int, default=1500)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp:
        directory = Path(tmp) / "devnet"
        description = up(directory, nodes=args.nodes, dev_accounts=args.senders + 1)
        try:
            pids = description["pids"]
            figures: dict[str, Any] = {"nodes": args.nodes}
            figures["rss_start_mib"] = [round(_rss_mib(p), 1) for p in pids]
            figures.update(lone(description, args.lone))
            figures.update(load(description, args.load, args.senders))
            figures["rss_end_mib"] = [round(_rss_mib(p), 1) for p in pids]
        finally:
            down(directory)
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
