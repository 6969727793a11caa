from __future__ import annotations

import pytest
from eth.db.atomic import AtomicDB

from node.storage.exceptions import StorageError
from node.storage.lmdb_store import CommittedChainView, LmdbStore, StagedChainDatabase


def test_staged_writes_are_visible_but_not_durable_until_commit(tmp_path):
    store = LmdbStore(tmp_path / "db")
    db = StagedChainDatabase(store)
    db[b"k"] = b"v"
    store.stage("consensus", b"round", b"\x01")
    assert db[b"k"] == b"v"
    assert store.get("consensus", b"round") == b"\x01"
    store.close()

    reopened = LmdbStore(tmp_path / "db")
    assert reopened.chain_get(b"k") is None
    assert reopened.get("consensus", b"round") is None


def test_commit_writes_chain_and_aux_keys_together(tmp_path):
    store = LmdbStore(tmp_path / "db")
    atomic = AtomicDB(StagedChainDatabase(store))
    with atomic.atomic_batch() as batch:
        batch[b"a"] = b"1"
        batch[b"b"] = b"2"
    store.stage("idx", b"tx", b"loc")
    store.commit()
    store.close()

    reopened = LmdbStore(tmp_path / "db")
    assert reopened.chain_get(b"a") == b"1"
    assert reopened.chain_get(b"b") == b"2"
    assert reopened.get("idx", b"tx") == b"loc"


def test_discard_leaves_nothing(tmp_path):
    store = LmdbStore(tmp_path / "db")
    db = StagedChainDatabase(store)
    db[b"kept"] = b"1"
    store.commit()
    db[b"dropped"] = b"2"
    del db[b"kept"]
    store.stage("ns", b"x", b"y")
    store.discard()
    assert db[b"kept"] == b"1"
    assert b"dropped" not in db
    assert store.get("ns", b"x") is None


def test_failed_commit_writes_nothing(tmp_path):
    store = LmdbStore(tmp_path / "db")
    db = StagedChainDatabase(store)
    db[b"ok"] = b"1"
    db[b""] = b"empty keys are refused by LMDB"  # makes the transaction abort half way
    with pytest.raises(StorageError):
        store.commit()
    store.discard()
    store.close()
    assert LmdbStore(tmp_path / "db").chain_get(b"ok") is None


def test_put_now_commits_alone_and_namespaces_do_not_collide(tmp_path):
    store = LmdbStore(tmp_path / "db")
    StagedChainDatabase(store)[b"block"] = b"staged"
    store.put_now("perm", b"k", b"a")
    store.put_now("perm2", b"k", b"b")
    store.close()
    reopened = LmdbStore(tmp_path / "db")
    assert reopened.get("perm", b"k") == b"a"
    assert reopened.get("perm2", b"k") == b"b"
    assert reopened.chain_get(b"block") is None
    assert list(reopened.items("perm")) == [(b"k", b"a")]


def test_bad_namespace_is_refused(tmp_path):
    store = LmdbStore(tmp_path / "db")
    with pytest.raises(StorageError):
        store.stage("", b"k", b"v")
    with pytest.raises(StorageError):
        store.stage("a\x00b", b"k", b"v")


def test_delete_of_missing_key_raises_key_error(tmp_path):
    db = StagedChainDatabase(LmdbStore(tmp_path / "db"))
    with pytest.raises(KeyError):
        del db[b"nope"]


def test_a_second_opener_is_refused_until_the_first_closes(tmp_path):
    first = LmdbStore(tmp_path / "db")
    with pytest.raises(StorageError, match="in use"):
        LmdbStore(tmp_path / "db")
    first.close()
    LmdbStore(tmp_path / "db").close()


def test_the_committed_view_sees_commits_only_and_refuses_writes(tmp_path):
    store = LmdbStore(tmp_path / "db")
    view = CommittedChainView(store)
    store.chain_stage(b"k", b"staged")
    assert b"k" not in view
    with pytest.raises(KeyError):
        view[b"k"]
    store.commit()
    assert view[b"k"] == b"staged"
    store.chain_stage(b"k", b"newer")
    assert view[b"k"] == b"staged"
    with pytest.raises(StorageError, match="read-only"):
        view[b"x"] = b"1"
    with pytest.raises(StorageError, match="read-only"):
        del view[b"k"]
    store.close()
