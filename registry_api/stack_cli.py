"""``permitchain stack up|run|down --dir DIR``: the whole development stack in one command.

``run`` prepares (:func:`registry_api.dev_stack.prepare`) and serves the registry API in the foreground;
Ctrl-C (or SIGTERM) stops the API and then the devnet it started, so no node process outlives it.
``up`` prepares and returns, leaving the devnet running; ``down`` stops it; ``demo`` runs
:mod:`registry_api.demo` (issue 8 end to end on fresh devnets).
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from pathlib import Path
from types import FrameType

from registry_api import dev_stack


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM during preparation unwinds like Ctrl-C, so the finally blocks stop the devnet."""
    raise KeyboardInterrupt(f"signal {signum}")


def _prepare(args: argparse.Namespace) -> dev_stack.PreparedStack:
    print(f"==> preparing the development stack in {args.dir} (dev PKI, {args.nodes} validators, contracts)")
    prepared = dev_stack.prepare(
        args.dir, now=dt.datetime.now(dt.UTC), nodes=args.nodes, host=args.host, port=args.port
    )
    print(dev_stack.summary(prepared))
    return prepared


def _up(args: argparse.Namespace) -> int:
    _prepare(args)
    print(f"devnet running; stop it with: permitchain stack down --dir {args.dir}")
    return 0


def _run(args: argparse.Namespace) -> int:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        # A failed preparation stops what it started itself; stopping the folder's devnet here would
        # take down another stack's (e.g. a second ./scripts/run refused because the port is busy).
        prepared = _prepare(args)
        try:
            print("==> serving the registry API (Ctrl-C stops the API and the devnet)")
            sys.stdout.flush()
            return dev_stack.serve(prepared, host=args.host, port=args.port)
        finally:
            with dev_stack.signals_held():
                stopped = dev_stack.down(args.dir)
                print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    finally:
        signal.signal(signal.SIGTERM, previous)


def _down(args: argparse.Namespace) -> int:
    stopped = dev_stack.down(args.dir)
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from registry_api.demo import run_in  # noqa: PLC0415 - only the demo needs the server and clients

    return run_in(args.dir)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "stack", help="the development stack: dev PKI, five-validator devnet, contracts and the registry API"
    )
    commands = parser.add_subparsers(dest="stack_command", metavar="SUBCOMMAND", required=True)
    for name, handler, text in (
        ("up", _up, "prepare everything and start the devnet, then return"),
        ("run", _run, "prepare, then serve the API in the foreground (Ctrl-C stops everything)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--dir", type=Path, required=True, help="the stack's folder (e.g. var)")
        command.add_argument("--nodes", type=int, default=dev_stack.DEFAULT_NODES, help="QBFT validators")
        command.add_argument(
            "--host", default=dev_stack.DEFAULT_HOST, help="API interface (default 127.0.0.1)"
        )
        command.add_argument(
            "--port", type=int, default=dev_stack.DEFAULT_PORT, help="API port (default 8000)"
        )
        command.set_defaults(handler=handler)
    stop = commands.add_parser("down", help="stop the devnet that 'up' or 'run' started")
    stop.add_argument("--dir", type=Path, required=True)
    stop.set_defaults(handler=_down)
    demo = commands.add_parser("demo", help="issue 8 end to end on fresh devnets (what ./scripts/demo runs)")
    demo.add_argument("--dir", type=Path, help="work folder to keep (default: a temporary one)")
    demo.set_defaults(handler=_demo)
