"""The permitchain CLI: help works, errors become a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from permitchain.cli import COMMANDS, build_parser, main


def test_help_lists_subcommands_and_exits_zero(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "profile" in capsys.readouterr().out


def test_installed_entry_point_runs_on_a_fresh_interpreter() -> None:
    # The console script is what a newcomer runs; prove the module path it points to imports cleanly.
    result = subprocess.run(
        [sys.executable, "-m", "permitchain.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage: permitchain" in result.stdout


def test_profile_on_a_date_prints_the_profile_in_force(capsys) -> None:
    assert main(["profile", "--on", "2024-06-01"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["key"] == "kz-130-nk@1"
    assert shown["deadlines_working_days"]["examination"] == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["profile", "--on", "yesterday"], "--on must be a date"),
        (["profile", "--on", "2030-01-01"], "no rule profile is in force on 2030-01-01"),
        (["profile", "--key", "nope@1"], "unknown rule profile"),
    ],
)
def test_user_errors_are_one_line_and_non_zero(capsys, argv, message) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_unknown_subcommand_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_command_is_registered_by_the_module_the_table_names() -> None:
    # The table is what lets one command import one module; a command it misses or misplaces would
    # either vanish from the CLI or fail to parse.
    for command, module_name in COMMANDS.items():
        assert command in _commands_of(build_parser(command)), f"{module_name} does not register {command!r}"
    assert _commands_of(build_parser()) == set(COMMANDS)


def _commands_of(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def test_running_a_node_imports_none_of_the_other_stacks() -> None:
    # A fresh interpreter: what ``permitchain node run`` has loaded once it has parsed its arguments
    # and imported the node service and its QBFT engine (what stays resident for the life of the node).
    probe = (
        "import sys\n"
        "from permitchain.cli import build_parser\n"
        "build_parser('node').parse_args(['node', 'run', '--config', 'node.json'])\n"
        "import node.service\n"
        "import node.consensus.engine\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(result.stdout.split())
    assert "node" in loaded
    foreign = {"web3", "eth_account", "sqlalchemy", "alembic", "vyper", "registry_api", "platform_checks"}
    assert loaded.isdisjoint(foreign), loaded & foreign
