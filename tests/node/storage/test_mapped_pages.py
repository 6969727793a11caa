"""The store gives back its memory-mapped pages after commits, and loses nothing by doing so."""

from __future__ import annotations

import sys

import pytest

from node.storage import mapped_pages
from node.storage.lmdb_store import LmdbStore

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="mapped-page release uses Linux's /proc and madvise"
)

VALUE = b"\xa5" * 1000
KEYS = 20_000  # about 20 MB of values: far above what a release leaves resident


def _fill(store: LmdbStore) -> None:
    for i in range(KEYS):
        store.chain_stage(i.to_bytes(8, "big"), VALUE + i.to_bytes(8, "big"))
    store.commit()


def _read_all(store: LmdbStore) -> None:
    for i in range(KEYS):
        assert store.chain_get_committed(i.to_bytes(8, "big")) == VALUE + i.to_bytes(8, "big")


def test_reading_maps_pages_into_the_process_and_release_gives_them_back(tmp_path):
    store = LmdbStore(tmp_path / "db", release_mapped_pages=False)
    _fill(store)
    _read_all(store)
    touched = mapped_pages.resident_bytes(store.data_file)
    assert touched is not None and touched > 15 * 1024**2

    assert store.release_mapped_pages() is True
    released = mapped_pages.resident_bytes(store.data_file)
    assert released is not None and released < 1024**2

    _read_all(store)  # every value is still there, read back through fresh page faults
    store.close()


def test_each_commit_releases_the_map_by_default(tmp_path):
    store = LmdbStore(tmp_path / "db")
    _fill(store)
    resident = mapped_pages.resident_bytes(store.data_file)
    assert resident is not None and resident < 1024**2
    store.close()

    reopened = LmdbStore(tmp_path / "db")
    _read_all(reopened)
    reopened.close()


def test_mappings_are_found_by_the_file_path_only(tmp_path):
    store = LmdbStore(tmp_path / "db")
    found = mapped_pages.mappings_of(store.data_file)
    assert len(found) == 1 and found[0].end > found[0].start
    assert mapped_pages.mappings_of(tmp_path / "db" / "lock.mdb") != found
    assert mapped_pages.mappings_of(tmp_path / "elsewhere.mdb") == []
    store.close()


def test_without_proc_nothing_is_found_and_nothing_is_claimed(tmp_path):
    missing = tmp_path / "no-proc" / "maps"
    assert mapped_pages.mappings_of(tmp_path / "data.mdb", maps_path=missing) == []
    assert mapped_pages.resident_bytes(tmp_path / "data.mdb", smaps_path=missing) is None


def test_release_of_an_empty_range_is_a_no_op():
    assert mapped_pages.release(mapped_pages.Mapping(4096, 4096)) is True


def test_a_store_opened_twice_in_one_process_still_releases(tmp_path):
    """A second environment on another path must not confuse which mapping is whose."""
    first = LmdbStore(tmp_path / "a", release_mapped_pages=False)
    second = LmdbStore(tmp_path / "b", release_mapped_pages=False)
    _fill(first)
    _read_all(first)
    assert second.release_mapped_pages() is True
    first_resident = mapped_pages.resident_bytes(first.data_file)
    assert first_resident is not None and first_resident > 15 * 1024**2
    first.close()
    second.close()


def test_reads_alone_release_the_map_every_so_many(tmp_path):
    """A block's reads happen before its commit; they must not pile up mapped pages meanwhile."""
    store = LmdbStore(tmp_path / "db", release_every_reads=KEYS // 4)
    _fill(store)
    after_commit = store.releases
    _read_all(store)  # KEYS reads: exactly four releases, the last one right after the last read
    assert store.releases - after_commit == 4
    resident = mapped_pages.resident_bytes(store.data_file)
    assert resident is not None and resident < 1024**2
    store.close()


def test_a_large_commit_releases_the_map_while_it_writes(tmp_path):
    """Each put walks its B-tree path through the map; a block's thousands of them must not pile up."""
    store = LmdbStore(tmp_path / "db", release_every_reads=KEYS // 4)
    before = store.releases
    _fill(store)  # KEYS puts in one commit: four releases during it, one after it
    assert store.releases - before == 5
    _read_all(store)
    store.close()
