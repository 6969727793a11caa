"""``permitchain devnet``: a local development network in one command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from node.devnet.network import DEFAULT_NODES, down, status, up


def _up(args: argparse.Namespace) -> int:
    description = up(
        args.dir,
        nodes=args.nodes,
        observers=args.observers,
        dev_accounts=args.dev_accounts,
        chain_id=args.chain_id,
        empty_block_period=args.empty_block_period,
    )
    print(json.dumps({k: v for k, v in description.items() if k != "accounts"}, indent=2))
    print(f"devnet running; accounts (DEVELOPMENT keys) in {args.dir / 'devnet.json'}")
    return 0


def _down(args: argparse.Namespace) -> int:
    stopped = down(args.dir)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def _status(args: argparse.Namespace) -> int:
    rows = status(args.dir)
    for row in rows:
        state = "running" if row["running"] else "stopped"
        extra = "".join(f"\t{k}={row[k]}" for k in ("peers", "validators", "round", "observer") if k in row)
        height = "-" if row["height"] is None else str(row["height"])
        print(f"{row['node']}\t{state}\tpid={row['pid']}\theight={height}{extra}")
    return 0 if all(r["running"] for r in rows) else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("devnet", help="a local development network of node processes")
    commands = parser.add_subparsers(dest="devnet_command", metavar="SUBCOMMAND", required=True)
    start = commands.add_parser("up", help="initialise and start the nodes, write DIR/devnet.json")
    start.add_argument("--dir", type=Path, required=True)
    start.add_argument("--nodes", type=int, default=DEFAULT_NODES, help="QBFT validators (1 = lone node)")
    start.add_argument("--observers", type=int, default=0, help="non-validating nodes that sync")
    start.add_argument("--empty-block-period", type=int, default=0, help="seconds; 0 = blocks only for txs")
    start.add_argument("--dev-accounts", type=int, default=4)
    start.add_argument("--chain-id", type=int, default=7210)
    start.set_defaults(handler=_up)
    stop = commands.add_parser("down", help="stop exactly the processes 'up' started")
    stop.add_argument("--dir", type=Path, required=True)
    stop.set_defaults(handler=_down)
    show = commands.add_parser("status", help="print each node's state and height")
    show.add_argument("--dir", type=Path, required=True)
    show.set_defaults(handler=_status)
