"""The permitchain CLI: help works, errors become a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from permitchain.cli import main


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
