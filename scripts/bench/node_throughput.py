"""Throughput of a devnet node anchoring permits, and the same workload on in-process eth-tester.

Run: .venv/bin/python scripts/bench/node_throughput.py [--count 2000] [--senders 8] [--clients 8]
     [--nodes 1] [--json]

Workload: deploy the two registries (contracts/deploy.py), then a stream of pre-signed
``PermitRegistry.anchor`` transactions (one new permit each, issuers rotating) from ``--senders``
registrar accounts. Against the node (a real process started with ``devnet up``): every transaction is
sent over HTTP as fast as the node accepts it, by ``--clients`` concurrent connections that each own
whole senders (so every sender's nonces arrive in order), while a poller watches new blocks.

Figures: accepted tx/s (send of the first to inclusion of the last), blocks/s, per-transaction
latency from send to the first time a poller saw it in a block (p50/p99), node RSS before and after
and its peak (the kernel's high-water mark, ``VmHWM``, which also catches what happens between
samples), bytes on disk per transaction. eth-tester: the same signed stream through
``send_raw_transaction`` with auto-mining (one block per transaction). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import HexStr
from web3 import EthereumTesterProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import Wei

from contracts.artifacts import load_artifact
from contracts.deploy import deploy_registries
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import window_for_issue
from node.devnet.network import down, up
from permitchain.rule_profile import default_profile

ISSUERS = ["940140000385", "050840002142", "990240004216", "180340018765"]
DISPLAY_NAME = "ТОО «Цифровые активы Казахстана»"
PLATFORM_NAME = "QazAsset Distributed Ledger Platform"
ANCHOR_GAS = 600_000
BACKPRESSURE_CODES = {"sender_limit_reached", "txpool_full", "nonce_too_high"}


def signed_anchors(
    w3: Any,
    permit_registry: str,
    senders: list[LocalAccount],
    *,
    count: int,
    tag: str,
    gas_price: int = 0,
) -> list[tuple[bytes, bytes]]:
    """Return ``count`` raw anchor transactions (and their hashes), senders round-robin.

    ``w3`` is typed ``Any``: web3's TypedDicts do not describe contract call parameters usefully.
    """
    permits = w3.eth.contract(
        address=Web3.to_checksum_address(permit_registry), abi=load_artifact("PermitRegistry").abi
    )
    window = window_for_issue(dt.date(2026, 3, 2), default_profile())
    chain_id = int(w3.eth.chain_id)
    nonces: dict[str, int] = {a.address: int(w3.eth.get_transaction_count(a.address)) for a in senders}
    out = []
    for i in range(count):
        sender = senders[i % len(senders)]
        data = permits.encode_abi(
            "anchor",
            args=[
                Web3.keccak(text=f"{tag} permit {i}"),
                f"KZ-DA-2026-{i:06d}",
                encode_issuer_id(ISSUERS[i % len(ISSUERS)]),
                window.issued_at,
                window.valid_until,
                DISPLAY_NAME,
                PLATFORM_NAME,
            ],
        )
        # Encoded here and signed directly: web3's build_transaction costs more than the signature,
        # which matters when a run pre-signs 100k transactions.
        params = {
            "to": permits.address,
            "data": data,
            "value": 0,
            "nonce": nonces[sender.address],
            "gas": ANCHOR_GAS,
            "gasPrice": gas_price,
            "chainId": chain_id,
        }
        nonces[sender.address] += 1
        signed = sender.sign_transaction(params)
        out.append((bytes(signed.raw_transaction), bytes(signed.hash)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory in MiB; ``RssAnon`` is the heap, ``RssFile`` mostly LMDB's memory map."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def disk_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def bench_node(
    count: int,
    senders: int,
    *,
    rate: float = 0.0,
    nodes: int = 1,
    clients: int = 8,
    rss_every: int = 0,
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="node-bench-"))
    devnet = workdir / "devnet"
    description = up(devnet, nodes=nodes, dev_accounts=senders)
    try:
        url = description["rpc"][0]
        pid = description["pids"][0]
        w3 = Web3(Web3.HTTPProvider(url))
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        accounts = [Account.from_key(a["private_key"]) for a in description["accounts"]]
        addresses = deploy_registries(w3, admin=accounts[0], registrars=accounts, gas_price=0)
        stream = signed_anchors(w3, addresses.permit_registry, accounts, count=count, tag="node")
        data_dir = devnet / "node-0" / "data"
        disk_before, rss_before = disk_bytes(data_dir), rss_mb(pid)
        start_block = int(w3.eth.block_number)
        sent_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        done = threading.Event()

        rss_series: list[dict[str, float]] = []

        def sample_memory(anchored: int) -> None:
            rss_series.append(
                {
                    "anchored": anchored,
                    "rss_mb": round(rss_mb(pid), 1),
                    "rss_peak_mb": round(rss_mb(pid, "VmHWM"), 1),
                    "rss_anon_mb": round(rss_mb(pid, "RssAnon"), 1),
                    "rss_file_mb": round(rss_mb(pid, "RssFile"), 1),
                    "disk_mb": round(disk_bytes(data_dir) / 1024**2, 1),
                }
            )

        def poll() -> None:
            checked = start_block
            next_sample = rss_every
            with httpx.Client(timeout=30) as client:
                while not done.is_set():
                    head = int(
                        client.post(
                            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}
                        ).json()["result"],
                        16,
                    )
                    for number in range(checked + 1, head + 1):
                        block = client.post(
                            url,
                            json={
                                "jsonrpc": "2.0",
                                "id": 1,
                                "method": "eth_getBlockByNumber",
                                "params": [hex(number), False],
                            },
                        ).json()["result"]
                        now = time.perf_counter()
                        for tx_hash in block["transactions"]:
                            seen_at.setdefault(tx_hash, now)
                    checked = head
                    if rss_every and len(seen_at) >= next_sample:
                        sample_memory(len(seen_at))
                        next_sample += rss_every
                    if len(seen_at) >= count:
                        done.set()
                    time.sleep(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        counters = {"rejected": 0, "backpressure_waits": 0}
        counters_lock = threading.Lock()

        def send(lane: list[tuple[int, bytes, bytes]]) -> None:
            """Send one lane (one sender's transactions, in nonce order) over its own connection."""
            with httpx.Client(timeout=30) as client:
                for index, raw, tx_hash in lane:
                    if rate > 0:
                        pause = first + index / rate - time.perf_counter()
                        if pause > 0:
                            time.sleep(pause)
                    sent_at["0x" + tx_hash.hex()] = time.perf_counter()
                    body = {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "eth_sendRawTransaction",
                        "params": ["0x" + raw.hex()],
                    }
                    while True:
                        error = client.post(url, json=body).json().get("error")
                        # A full pool (per sender or overall) is back-pressure: wait for a block, resend.
                        if error is None or error.get("data", {}).get("code") not in BACKPRESSURE_CODES:
                            break
                        with counters_lock:
                            counters["backpressure_waits"] += 1
                        time.sleep(0.2)
                    if error is not None:
                        with counters_lock:
                            counters["rejected"] += 1

        # Each client sends whole senders' streams, so nonces arrive in order per sender; several
        # clients at once is what a node serving many platforms sees.
        lanes: list[list[tuple[int, bytes, bytes]]] = [[] for _ in range(max(1, min(clients, senders)))]
        for index, (raw, tx_hash) in enumerate(stream):
            lanes[(index % senders) % len(lanes)].append((index, raw, tx_hash))
        first = time.perf_counter()
        threads = [threading.Thread(target=send, args=(lane,)) for lane in lanes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rejected, backpressure_waits = counters["rejected"], counters["backpressure_waits"]
        send_done = time.perf_counter()
        done.wait(timeout=600)
        done.set()
        last = max(seen_at.values())
        end_block = w3.eth.block_number
        latencies = [seen_at[h] - sent_at[h] for h in sent_at if h in seen_at]
        statuses = [
            w3.eth.get_transaction_receipt(HexStr(h))["status"] for h in list(sent_at)[:: max(1, count // 50)]
        ]
        return {
            "transactions": count,
            "rejected": rejected,
            "backpressure_waits": backpressure_waits,
            "failed_in_sample": statuses.count(0),
            "send_rate_tx_s": round(count / (send_done - first), 1),
            "accepted_tx_s": round(len(seen_at) / (last - first), 1),
            "blocks": end_block - start_block,
            "blocks_s": round((end_block - start_block) / (last - first), 2),
            "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "latency_mean_ms": round(statistics.fmean(latencies) * 1000, 1),
            "rss_mb_before": round(rss_before, 1),
            "rss_mb_after": round(rss_mb(pid), 1),
            # The kernel's high-water mark: catches what happens between samples (a commit's peak).
            "rss_peak_mb": round(rss_mb(pid, "VmHWM"), 1),
            "rss_anon_mb_after": round(rss_mb(pid, "RssAnon"), 1),
            "rss_file_mb_after": round(rss_mb(pid, "RssFile"), 1),
            "disk_bytes_per_tx": round((disk_bytes(data_dir) - disk_before) / count),
            **({"rss_series": rss_series} if rss_series else {}),
        }
    finally:
        down(devnet)


def bench_eth_tester(count: int, senders: int) -> dict[str, Any]:
    tester = EthereumTester(backend=PyEVMBackend())
    w3 = Web3(EthereumTesterProvider(tester))
    keys = [Account.create() for _ in range(senders)]
    funder = w3.eth.accounts[0]
    for key in keys:
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": funder, "to": key.address, "value": Wei(10**21)})
        )
    addresses = deploy_registries(w3, admin=keys[0], registrars=keys)
    base_fee = int(w3.eth.get_block("latest")["baseFeePerGas"])
    stream = [
        raw
        for raw, _ in signed_anchors(
            w3, addresses.permit_registry, keys, count=count, tag="tester", gas_price=base_fee * 4
        )
    ]
    start_block = w3.eth.block_number
    first = time.perf_counter()
    latencies = []
    for raw in stream:
        t0 = time.perf_counter()
        w3.eth.send_raw_transaction(raw)  # auto-mined: returns after its block
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - first
    return {
        "transactions": count,
        "accepted_tx_s": round(count / elapsed, 1),
        "blocks": w3.eth.block_number - start_block,
        "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--nodes", type=int, default=1, help="validators (1 = single-node producer)")
    parser.add_argument("--rate", type=float, default=0.0, help="pace sends at this many tx/s (0 = flat out)")
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent sending connections (each owns whole senders)"
    )
    parser.add_argument(
        "--rss-every", type=int, default=0, help="sample the node's memory every N anchored permits"
    )
    parser.add_argument("--skip-eth-tester", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "node": bench_node(
            args.count,
            args.senders,
            rate=args.rate,
            nodes=args.nodes,
            clients=args.clients,
            rss_every=args.rss_every,
        )
    }
    if not args.skip_eth_tester:
        figures["eth_tester"] = bench_eth_tester(args.count, args.senders)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for part, values in figures.items():
        print(f"[{part}]")
        for name, value in values.items():
            if name == "rss_series":
                for sample in value:
                    print("  " + "  ".join(f"{k}={v}" for k, v in sample.items()))
            else:
                print(f"  {name:<20} {value}")


if __name__ == "__main__":
    main()
