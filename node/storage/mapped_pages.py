"""Give back the page-table entries of LMDB's memory map, so the node's RSS shows what it really holds.

Why: LMDB reads through a shared, read-only memory map of its file. Every page a lookup touches stays
mapped into the process until the kernel is short of memory, and the kernel counts those pages in the
process's RSS (``RssFile``). Trie nodes are keyed by hash, so block after block touches pages spread
over the whole file: RSS creeps towards the size of the database (gigabytes after 100k permits)
although none of it is the node's own memory. Monitoring then raises alarms, and the OOM killer, which
ranks processes by RSS including file pages, picks the node first.

``madvise(MADV_DONTNEED)`` on a shared file mapping only drops the page-table entries: the pages stay in
the page cache (nothing is lost, nothing is written), and the next access maps them again with a
minor fault of about a microsecond. Readers in other threads that touch a page meanwhile simply
fault it back in.

Linux only; elsewhere (or where ``/proc`` is absent) the functions report that they did nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MADV_DONTNEED = 4
"""Linux's value (asm-generic/mman-common.h); the ``mmap`` module exposes it only for its own maps."""


@dataclass(frozen=True, slots=True)
class Mapping:
    """One address range of this process that maps a given file."""

    start: int
    end: int


def mappings_of(file_path: Path, maps_path: Path = Path("/proc/self/maps")) -> list[Mapping]:
    """Return this process's mappings of ``file_path`` (none off Linux or when unreadable)."""
    target = os.path.realpath(file_path)
    try:
        lines = maps_path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        # "start-end perms offset dev inode   path"; the path is the rest of the line.
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] == target:
            start, _, end = fields[0].partition("-")
            found.append(Mapping(int(start, 16), int(end, 16)))
    return found


def resident_bytes(file_path: Path, smaps_path: Path = Path("/proc/self/smaps")) -> int | None:
    """Return how many bytes of ``file_path``'s mappings are resident in this process (None if unknown)."""
    target = os.path.realpath(file_path)
    try:
        lines = smaps_path.read_text().splitlines()
    except OSError:
        return None
    total = 0
    inside = False
    for line in lines:
        fields = line.split(maxsplit=5)
        if fields and "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
            inside = len(fields) == 6 and fields[5] == target
        elif inside and fields[:1] == ["Rss:"]:
            total += int(fields[1]) * 1024
    return total


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


_LIBC = _libc()


def release(mapping: Mapping, length: int | None = None) -> bool:
    """Drop the page-table entries of ``mapping`` (its first ``length`` bytes); True when done."""
    if _LIBC is None:
        return False
    size = mapping.end - mapping.start if length is None else min(length, mapping.end - mapping.start)
    if size <= 0:
        return True
    result = _LIBC.madvise(ctypes.c_void_p(mapping.start), ctypes.c_size_t(size), ctypes.c_int(MADV_DONTNEED))
    return bool(result == 0)
