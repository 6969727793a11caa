"""``permitchain``: one command-line tool, one subcommand module per package.

Each package owns its subcommands in a module that exposes ``register(subparsers)``; this file only
lists those modules and turns errors into messages. Every error derived from
:class:`~permitchain.errors.PermitChainError` becomes ``error: <message>`` and a non-zero exit, never
a traceback; anything else is a bug and is allowed to show one.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from permitchain import __version__
from permitchain.errors import PermitChainError

# Modules that add subcommands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "permitchain.profile_cli",
    "platform_checks.cli",
    "contracts.cli",
    "registry_api.cli",
    "registry_api.verify_cli",
    "registry_api.stack_cli",
    "registry_api.chain.registrar_cli",
    "kz_eds.cli",
    "node.cli",
    "node.devnet.cli",
)

Handler = Callable[[argparse.Namespace], int]


class CommandModule(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="permitchain",
        description=(
            "Permits for secured digital assets on a permissioned chain: nodes, devnet, "
            "contracts, platform checks, EDS, the registry API and verification."
        ),
    )
    parser.add_argument("--version", action="version", version=f"permitchain {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module: CommandModule = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return handler(args)
    except PermitChainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m permitchain.cli`
    sys.exit(main())
