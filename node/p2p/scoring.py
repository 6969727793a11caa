"""Misbehaviour scores that decay, and the bans they lead to (pure: time is a parameter).

A peer's score halves every ``half_life`` seconds, so occasional faults are forgiven while a burst is
not; reaching ``threshold`` bans the peer for ``ban_seconds`` and resets its score. A banned peer is
refused after the handshake and not dialled until the ban ends.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Record:
    score: float
    updated: float


class PeerScoreBook:
    def __init__(self, *, threshold: float, half_life: float, ban_seconds: float) -> None:
        self._threshold = threshold
        self._half_life = half_life
        self._ban_seconds = ban_seconds
        self._records: dict[str, _Record] = {}
        self._banned_until: dict[str, float] = {}

    def score(self, node_id: str, now: float) -> float:
        record = self._records.get(node_id)
        if record is None:
            return 0.0
        elapsed = max(0.0, now - record.updated)
        decay: float = 0.5 ** (elapsed / self._half_life)
        return record.score * decay

    def penalise(self, node_id: str, points: float, now: float) -> bool:
        """Add ``points`` to the decayed score; return whether this banned the peer."""
        total = self.score(node_id, now) + points
        if total >= self._threshold:
            self._records.pop(node_id, None)
            self._banned_until[node_id] = now + self._ban_seconds
            return True
        self._records[node_id] = _Record(total, now)
        return False

    def banned_until(self, node_id: str, now: float) -> float | None:
        """Return when the ban on ``node_id`` ends, or ``None`` if it is not banned at ``now``."""
        until = self._banned_until.get(node_id)
        if until is None:
            return None
        if now >= until:
            del self._banned_until[node_id]
            return None
        return until

    def is_banned(self, node_id: str, now: float) -> bool:
        return self.banned_until(node_id, now) is not None
