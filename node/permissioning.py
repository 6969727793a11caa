"""Account permissioning: only allow-listed accounts may send transactions.

The list starts as the genesis file's ``permissioning.accounts`` and changes at runtime through the
admin calls (``perm_addAccountsToAllowlist`` / ``perm_removeAccountsFromAllowlist`` in Besu's naming).
Every change is written to the node's store before it takes effect, so a restart keeps it; a change
that would fail for one account changes nothing (all-or-nothing, like Besu).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import rlp
from eth_typing import Address
from eth_utils.address import to_checksum_address

from node.exceptions import NodeError
from node.storage.lmdb_store import LmdbStore

PERMISSIONING_NAMESPACE = "permissioning"
ACCOUNTS_KEY = b"accounts"
MAX_ALLOWLIST = 100_000


class AllowlistChangeRejected(NodeError):
    """An allow-list change names an account twice, one already present, or one absent."""

    code = "allowlist_change_rejected"


class AccountAllowlist:
    """The durable, ordered account allow-list."""

    def __init__(self, store: LmdbStore, genesis_accounts: Iterable[Address]) -> None:
        self._store = store
        self._lock = threading.Lock()
        stored = store.get(PERMISSIONING_NAMESPACE, ACCOUNTS_KEY)
        if stored is None:
            accounts = sorted(genesis_accounts)
            self._persist(accounts)
        else:
            accounts = [Address(a) for a in rlp.decode(stored)]
        self._accounts: list[Address] = accounts
        self._set = frozenset(accounts)

    def _persist(self, accounts: Sequence[Address]) -> None:
        self._store.put_now(PERMISSIONING_NAMESPACE, ACCOUNTS_KEY, rlp.encode(list(accounts)))

    def is_allowed(self, account: Address) -> bool:
        return account in self._set

    def accounts(self) -> tuple[Address, ...]:
        """Return the allowed accounts in the order they were added."""
        return tuple(self._accounts)

    def add(self, accounts: Sequence[Address]) -> None:
        with self._lock:
            self._check_distinct(accounts)
            present = [a for a in accounts if a in self._set]
            if present:
                raise AllowlistChangeRejected(f"already allowed: {_names(present)}")
            if len(self._accounts) + len(accounts) > MAX_ALLOWLIST:
                raise AllowlistChangeRejected(f"the allow-list holds at most {MAX_ALLOWLIST} accounts")
            updated = [*self._accounts, *accounts]
            self._persist(updated)
            self._accounts, self._set = updated, frozenset(updated)

    def remove(self, accounts: Sequence[Address]) -> None:
        with self._lock:
            self._check_distinct(accounts)
            absent = [a for a in accounts if a not in self._set]
            if absent:
                raise AllowlistChangeRejected(f"not on the allow-list: {_names(absent)}")
            gone = set(accounts)
            updated = [a for a in self._accounts if a not in gone]
            self._persist(updated)
            self._accounts, self._set = updated, frozenset(updated)

    @staticmethod
    def _check_distinct(accounts: Sequence[Address]) -> None:
        if not accounts:
            raise AllowlistChangeRejected("no accounts given")
        if len(set(accounts)) != len(accounts):
            raise AllowlistChangeRejected("an account is listed twice")


def _names(accounts: Sequence[Address]) -> str:
    return ", ".join(to_checksum_address(a) for a in accounts)
