from __future__ import annotations

import pytest
from eth_typing import Address

from node.permissioning import AccountAllowlist, AllowlistChangeRejected
from node.storage.lmdb_store import LmdbStore
from node.txpool.exceptions import SenderNotAllowed
from node.txpool.pool import TxPool
from tests.node.txs import raw_tx, sender_key

A, B, C = (Address(bytes([i]) * 20) for i in (1, 2, 3))


def test_seeded_from_genesis_then_persisted_changes_survive_restart(tmp_path):
    store = LmdbStore(tmp_path / "db")
    allowlist = AccountAllowlist(store, [B, A])
    assert allowlist.accounts() == (A, B)
    allowlist.add([C])
    allowlist.remove([A])
    assert allowlist.accounts() == (B, C)
    store.close()
    reopened = AccountAllowlist(LmdbStore(tmp_path / "db"), [A])
    assert reopened.accounts() == (B, C)
    assert not reopened.is_allowed(A)


@pytest.mark.parametrize(
    ("op", "accounts"),
    [("add", [A]), ("add", [C, C]), ("add", []), ("remove", [C]), ("remove", [A, C])],
)
def test_bad_changes_change_nothing(tmp_path, op, accounts):
    allowlist = AccountAllowlist(LmdbStore(tmp_path / "db"), [A, B])
    with pytest.raises(AllowlistChangeRejected):
        getattr(allowlist, op)(accounts)
    assert allowlist.accounts() == (A, B)


def test_pool_follows_runtime_changes(chain):
    allowlist = AccountAllowlist(chain.store, chain.genesis.allowed_accounts)
    pool = TxPool(chain, allowlist, block_gas_limit=chain.block_gas_limit)
    alice = Address(sender_key(0).public_key.to_canonical_address())
    allowlist.remove([alice])
    with pytest.raises(SenderNotAllowed, match="sender not allowed"):
        pool.add_raw(raw_tx(sender_key(0), 0))
    allowlist.add([alice])
    pool.add_raw(raw_tx(sender_key(0), 0))


def test_removed_senders_pending_transactions_are_not_included(chain):
    allowlist = AccountAllowlist(chain.store, chain.genesis.allowed_accounts)
    pool = TxPool(chain, allowlist, block_gas_limit=chain.block_gas_limit)
    alice = Address(sender_key(0).public_key.to_canonical_address())
    pool.add_raw(raw_tx(sender_key(0), 0))
    pool.add_raw(raw_tx(sender_key(1), 0))
    allowlist.remove([alice])
    assert [t.sender for t in pool.executable(10**9)] == [sender_key(1).public_key.to_canonical_address()]
