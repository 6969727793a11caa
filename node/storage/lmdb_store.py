"""LMDB behind py-evm's database interface, with writes staged and flushed in ONE transaction.

Why stage: py-evm writes a block in many small puts (trie nodes, header, body, canonical pointers,
transaction index). If each went straight to disk, a ``kill -9`` between them could leave a head that
points at a block whose state is missing. Here every write lands in an in-memory overlay
(:class:`StagedChainDatabase`), reads look through it, and :meth:`LmdbStore.commit` writes the overlay
and any staged auxiliary keys (consensus state, permissioning, the node's own indexes) in a single LMDB
write transaction, which LMDB makes atomic and durable (``sync=True``). :meth:`LmdbStore.discard` drops
the overlay when a block fails: nothing of it ever reaches the disk.

Auxiliary keys live in their own LMDB sub-database under a namespace, so consensus, permissioning and
the node never collide with py-evm's key schema or with each other.

After each commit, and every ``RELEASE_EVERY_READS`` reads, the store gives back the page-table
entries of LMDB's memory map (:mod:`node.storage.mapped_pages`), so the node's RSS stays the size of
its own memory instead of growing towards the size of the database file. Per commit alone is not
enough on current kernels: ext4 caches the file in folios of up to 2 MiB, and one read maps the whole
folio, so a single block's few thousand trie reads could map hundreds of megabytes.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import lmdb
from eth.db.backends.base import BaseDB

from node.storage import mapped_pages
from node.storage.exceptions import StorageError

RELEASE_EVERY_READS = 256
"""Reads between two releases of the map. Measured on a 100k-permit database (2-core machine, kernel
6.18, ext4): one random trie read maps about 180 KiB (fault-around plus large folios), so 1,024 purely
random reads map ~150 MB and 256 ~46 MB (the node's reads repeat the hot pages, so it maps far less).
A release costs about 1 ms, and the hot pages (B-tree branches, the tops of the tries) fault back in
as minor faults; at 256 the bench's throughput stays within its noise (128 cost ~4 %)."""

DEFAULT_MAP_SIZE = 64 * 1024**3
"""Address space reserved for the file (not allocated: LMDB grows the file as data arrives)."""

_NAMESPACE_SEPARATOR = b"\x00"


def _aux_key(namespace: str, key: bytes) -> bytes:
    if not namespace or not namespace.isascii() or "\x00" in namespace:
        raise StorageError(f"invalid storage namespace {namespace!r}")
    return namespace.encode("ascii") + _NAMESPACE_SEPARATOR + key


class LmdbStore:
    """One LMDB environment with a chain key space (py-evm's) and a namespaced auxiliary key space."""

    def __init__(
        self,
        path: Path,
        *,
        map_size: int = DEFAULT_MAP_SIZE,
        release_mapped_pages: bool = True,
        release_every_reads: int = RELEASE_EVERY_READS,
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        # LMDB lets several processes open one environment; two nodes writing one chain would each
        # believe their own head. An exclusive lock on a side file refuses the second one.
        self._lock_fd = os.open(path / "node.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            raise StorageError(f"{path} is in use by another node process") from exc
        try:
            self._env = lmdb.open(
                str(path), map_size=map_size, max_dbs=4, sync=True, metasync=True, readahead=False
            )
        except lmdb.Error as exc:
            os.close(self._lock_fd)
            raise StorageError(f"cannot open the store at {path}: {exc}") from exc
        self._chain = self._env.open_db(b"chain")
        self._aux = self._env.open_db(b"aux")
        self._staged_chain: dict[bytes, bytes | None] = {}
        self._staged_aux: dict[bytes, bytes | None] = {}
        self._lock = threading.RLock()
        self.commits = 0
        self.data_file = path / "data.mdb"
        self._release_mapped_pages = release_mapped_pages
        self._release_every_reads = release_every_reads
        self._reads_since_release = 0
        self.releases = 0
        found = mapped_pages.mappings_of(self.data_file)
        self._mapping = found[0] if len(found) == 1 else None

    # -- chain key space -------------------------------------------------------------------------
    def chain_get(self, key: bytes) -> bytes | None:
        with self._lock:
            if key in self._staged_chain:
                return self._staged_chain[key]
        # A commit or discard between the two looks leaves the committed value the right answer.
        return self.chain_get_committed(key)

    def chain_get_committed(self, key: bytes) -> bytes | None:
        """Read the chain key space as last committed: no staged writes, and no lock taken.

        Readers (RPC, the pool's nonce checks) use this so that they never wait behind a block being
        built or validated, and never see a block that is not yet durable. LMDB read transactions are
        safe from any thread and see one committed snapshot each.
        """
        with self._env.begin(db=self._chain) as txn:
            value = txn.get(key)
        self._count_read()
        return None if value is None else bytes(value)

    def chain_stage(self, key: bytes, value: bytes | None) -> None:
        """Stage a put (or a delete when ``value`` is None) for the next :meth:`commit`."""
        with self._lock:
            self._staged_chain[key] = value

    # -- auxiliary key space ---------------------------------------------------------------------
    def get(self, namespace: str, key: bytes) -> bytes | None:
        """Return a namespaced value, seeing staged writes."""
        full = _aux_key(namespace, key)
        with self._lock:
            if full in self._staged_aux:
                return self._staged_aux[full]
            with self._env.begin(db=self._aux) as txn:
                value = txn.get(full)
            self._count_read()
            return None if value is None else bytes(value)

    def stage(self, namespace: str, key: bytes, value: bytes | None) -> None:
        """Stage a namespaced put/delete to be committed with the next block (same transaction)."""
        with self._lock:
            self._staged_aux[_aux_key(namespace, key)] = value

    def put_now(self, namespace: str, key: bytes, value: bytes | None) -> None:
        """Commit one namespaced put/delete alone, leaving any staged block writes staged."""
        full = _aux_key(namespace, key)
        with self._lock:
            try:
                with self._env.begin(write=True, db=self._aux) as txn:
                    if value is None:
                        txn.delete(full)
                    else:
                        txn.put(full, value)
            except lmdb.Error as exc:
                raise StorageError(f"write failed: {exc}") from exc
            self._staged_aux.pop(full, None)

    def items(self, namespace: str) -> Iterator[tuple[bytes, bytes]]:
        """Yield the committed ``(key, value)`` pairs of a namespace, in key order."""
        prefix = _aux_key(namespace, b"")
        with self._lock, self._env.begin(db=self._aux) as txn:
            cursor = txn.cursor()
            found = cursor.set_range(prefix)
            pairs: list[tuple[bytes, bytes]] = []
            while found:
                key = bytes(cursor.key())
                if not key.startswith(prefix):
                    break
                pairs.append((key[len(prefix) :], bytes(cursor.value())))
                found = cursor.next()
        yield from pairs

    # -- transactions ----------------------------------------------------------------------------
    @property
    def has_staged(self) -> bool:
        return bool(self._staged_chain or self._staged_aux)

    def commit(self) -> None:
        """Write everything staged in ONE LMDB transaction; on failure nothing is written."""
        with self._lock:
            try:
                with self._env.begin(write=True) as txn:
                    # In key order, so consecutive puts walk neighbouring B-tree pages; and each put
                    # counts as a read: it walks its path through the map, and a block's thousands of
                    # puts at random keys mapped ~600 MB before the release after the commit.
                    for key, value in sorted(self._staged_chain.items()):
                        if value is None:
                            txn.delete(key, db=self._chain)
                        else:
                            txn.put(key, value, db=self._chain)
                        self._count_read()
                    for key, value in self._staged_aux.items():
                        if value is None:
                            txn.delete(key, db=self._aux)
                        else:
                            txn.put(key, value, db=self._aux)
            except lmdb.Error as exc:
                raise StorageError(f"commit failed, nothing written: {exc}") from exc
            self._staged_chain.clear()
            self._staged_aux.clear()
            self.commits += 1
            if self._release_mapped_pages:
                self.release_mapped_pages()

    def _count_read(self) -> None:
        # Unlocked on purpose (readers run in several threads): an approximate count only moves the
        # next release by a read or two.
        self._reads_since_release += 1
        if self._release_mapped_pages and self._reads_since_release >= self._release_every_reads:
            self.release_mapped_pages()

    def release_mapped_pages(self) -> bool:
        """Unmap the file's pages from this process (they stay cached); True when it was done."""
        self._reads_since_release = 0
        if self._mapping is None:
            return False
        self.releases += 1
        return mapped_pages.release(self._mapping, self.disk_bytes())

    def discard(self) -> None:
        """Forget everything staged since the last commit."""
        with self._lock:
            self._staged_chain.clear()
            self._staged_aux.clear()

    def disk_bytes(self) -> int:
        """Return the bytes the store uses on disk (pages in use, not the reserved map)."""
        info = self._env.info()
        stat = self._env.stat()
        return int((info["last_pgno"] + 1) * stat["psize"])

    def close(self) -> None:
        with self._lock:
            self._env.close()
            if self._lock_fd >= 0:
                os.close(self._lock_fd)  # releases the flock
                self._lock_fd = -1


class StagedChainDatabase(BaseDB):
    """py-evm ``DatabaseAPI`` over :class:`LmdbStore`'s chain key space: reads see staged writes."""

    def __init__(self, store: LmdbStore) -> None:
        self._store = store

    def __getitem__(self, key: bytes) -> bytes:
        value = self._store.chain_get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._store.chain_stage(key, value)

    def __delitem__(self, key: bytes) -> None:
        if self._store.chain_get(key) is None:
            raise KeyError(key)
        self._store.chain_stage(key, None)

    def _exists(self, key: bytes) -> bool:
        return self._store.chain_get(key) is not None


class CommittedChainView(BaseDB):
    """Read-only py-evm ``DatabaseAPI`` over what :class:`LmdbStore` has committed, for lock-free reads."""

    def __init__(self, store: LmdbStore) -> None:
        self._store = store

    def __getitem__(self, key: bytes) -> bytes:
        value = self._store.chain_get_committed(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        raise StorageError("the committed view is read-only; writes go through the staged database")

    def __delitem__(self, key: bytes) -> None:
        raise StorageError("the committed view is read-only; writes go through the staged database")

    def _exists(self, key: bytes) -> bool:
        return self._store.chain_get_committed(key) is not None
