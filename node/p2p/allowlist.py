"""The set of node keys allowed to connect, changeable at runtime.

It starts from configuration (the genesis validators and listed observers). The transport checks it on
both sides of every connection once the remote has proved possession of its key, and listens for
removals to drop a peer that is no longer allowed. Persisting changes is the caller's business: it
registers a listener and writes the new set wherever the node keeps its configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import Enum

from node.p2p.identity import validate_node_id


class AllowListChange(Enum):
    ADDED = "added"
    REMOVED = "removed"


AllowListListener = Callable[[AllowListChange, str], None]


class PeerAllowList:
    """Allowed node ids (lowercase hex public keys) with change notification."""

    def __init__(self, node_ids: Iterable[str] = ()) -> None:
        self._ids: set[str] = {validate_node_id(node_id) for node_id in node_ids}
        self._listeners: list[AllowListListener] = []

    def subscribe(self, listener: AllowListListener) -> Callable[[], None]:
        """Call ``listener`` after every effective change; return a function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add(self, node_id: str) -> bool:
        """Allow ``node_id``; return whether it was newly added."""
        normalised = validate_node_id(node_id)
        if normalised in self._ids:
            return False
        self._ids.add(normalised)
        self._notify(AllowListChange.ADDED, normalised)
        return True

    def remove(self, node_id: str) -> bool:
        """Disallow ``node_id`` (the transport drops its connection); return whether it was there."""
        normalised = validate_node_id(node_id)
        if normalised not in self._ids:
            return False
        self._ids.discard(normalised)
        self._notify(AllowListChange.REMOVED, normalised)
        return True

    def _notify(self, change: AllowListChange, node_id: str) -> None:
        for listener in list(self._listeners):
            listener(change, node_id)

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id.lower() in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)
