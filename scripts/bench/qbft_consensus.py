"""QBFT state-machine figures on the deterministic simulation (no sockets, virtual clock).

Run: .venv/bin/python scripts/bench/qbft_consensus.py [--heights N] [--json]
Prints figures only; nothing is asserted. For each network size it reports the CPU time the machines
spend per decided height (signing and recovering with eth-keys' pure-Python backend dominates), the
messages on the wire per height, and the virtual time from round-0 start to decision with 10-50 ms
links; plus recovery time after a validator set lost its quorum for a long time (capped timers).
"""

from __future__ import annotations

import argparse
import json
import time

from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.simulation import SimNetwork


def keys(n: int) -> list[bytes]:
    return [bytes([i + 1]) * 32 for i in range(n)]


def steady_state(n: int, heights: int) -> dict[str, float]:
    config = QbftConfig(block_period=0.0, request_timeout=1.0, max_round_timeout=8.0)
    net = SimNetwork(keys(n), config=config, seed=1)
    net.start()
    started = time.perf_counter()
    net.run_until(lambda m: min(m.heights()) >= heights, max_time=10_000)
    cpu = time.perf_counter() - started
    return {
        "validators": n,
        "heights": heights,
        "cpu_ms_per_height": round(cpu / heights * 1000, 2),
        "messages_per_height": round(net.messages_sent / heights, 1),
        "virtual_ms_per_height": round(net.now / heights * 1000, 1),
    }


def outage_recovery(outage_s: float) -> dict[str, float]:
    config = QbftConfig(block_period=1.0, request_timeout=1.0, max_round_timeout=8.0)
    net = SimNetwork(keys(5), config=config, seed=2)
    net.crash(0)
    net.crash(1)
    net.start()
    net.run_for(outage_s)
    rounds = max(node.machine.round for node in net.nodes if node.alive)
    net.restart(0)
    back = net.now
    net.run_until(lambda m: all(node.head_number >= 1 for node in m.nodes if node.alive), max_time=back + 600)
    return {
        "outage_s": outage_s,
        "rounds_during_outage": rounds,
        "max_round_timeout_s": config.max_round_timeout,
        "first_block_after_restart_s": round(net.now - back, 2),
        "uncapped_besu_round_timeout_would_be_s": min(2.0**rounds, 1e18),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--heights", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [steady_state(n, args.heights) for n in (4, 5, 7)]
    rec = outage_recovery(600.0)
    if args.json:
        print(json.dumps({"steady_state": rows, "outage_recovery": rec}, indent=2))
        return
    for row in rows:
        print(
            f"n={row['validators']}: {row['cpu_ms_per_height']} ms CPU/height, "
            f"{row['messages_per_height']} msgs/height, {row['virtual_ms_per_height']} ms virtual/height"
        )
    print(
        f"quorum lost {rec['outage_s']} s ({rec['rounds_during_outage']} rounds, "
        f"cap {rec['max_round_timeout_s']} s): "
        f"first block {rec['first_block_after_restart_s']} s after a validator returned"
    )


if __name__ == "__main__":
    main()
