"""``permitchain``: one command-line tool, one subcommand module per package.

Each package owns its subcommands in a module that exposes ``register(subparsers)``; this file only
maps command names to those modules and turns errors into messages. Only the module of the command
being run is imported: the command modules pull in whole stacks (web3, SQLAlchemy and Alembic, the
Vyper toolchain), and a long-running ``node run`` that imported all of them held about 60 MB of
library code it never used. ``--help`` and an unknown command import every module to list them.

Every error derived from
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

# Each command and the module that registers it, in the order they appear in --help.
COMMANDS: dict[str, str] = {
    "profile": "permitchain.profile_cli",
    "platform-check": "platform_checks.cli",
    "platform-check-keygen": "platform_checks.cli",
    "platform-check-verify": "platform_checks.cli",
    "contracts": "contracts.cli",
    "api": "registry_api.cli",
    "verify": "registry_api.verify_cli",
    "stack": "registry_api.stack_cli",
    "registrar": "registry_api.chain.registrar_cli",
    "eds": "kz_eds.cli",
    "pki": "kz_eds.cli",
    "node": "node.cli",
    "devnet": "node.devnet.cli",
}

Handler = Callable[[argparse.Namespace], int]


class CommandModule(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def command_modules(command: str | None = None) -> list[str]:
    """Return the modules to import for ``command``: its own, or all of them if it is not known."""
    if command in COMMANDS:
        return [COMMANDS[command]]
    return list(dict.fromkeys(COMMANDS.values()))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the parser; with a known ``command``, only that command's module is imported."""
    parser = argparse.ArgumentParser(
        prog="permitchain",
        description=(
            "Permits for secured digital assets on a permissioned chain: nodes, devnet, "
            "contracts, platform checks, EDS, the registry API and verification."
        ),
    )
    parser.add_argument("--version", action="version", version=f"permitchain {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules(command):
        module: CommandModule = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The command is the first argument unless that is an option (--help, --version).
    command = arguments[0] if arguments and not arguments[0].startswith("-") else None
    parser = build_parser(command)
    args = parser.parse_args(arguments)
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
