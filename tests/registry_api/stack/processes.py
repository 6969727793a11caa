"""Which processes still run something under a folder (the stack must leave none behind)."""

from __future__ import annotations

from pathlib import Path


def processes_under(directory: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every live, non-zombie process whose command line names ``directory``."""
    needle = str(directory.resolve()).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found.append((int(proc.name), cmdline.replace(b"\0", b" ").decode(errors="replace")))
    return found
