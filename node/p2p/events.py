"""Structured log lines of the transport: one event name plus key=value fields, never a secret.

Each record carries the fields as ``record.p2p`` (a dict) for log shippers, and the message repeats them
as ``event key=value …`` for people reading a console. Session keys and identity seeds are never passed
here; node ids are public keys.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("node.p2p")


def log_event(level: int, event: str, **fields: object) -> None:
    if not logger.isEnabledFor(level):
        return
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.log(level, "%s %s", event, text, extra={"p2p": {"event": event, **fields}})


class LogThrottle:
    """Lets one line per key through every ``interval`` seconds and counts the ones it held back.

    A stranger redialling in a loop must not be able to fill the disk with refusal lines; the first
    refusal of each (address, reason) is always logged, later ones at most once per interval with the
    number suppressed in between. Pure: the caller passes ``now``.
    """

    def __init__(self, interval: float, max_keys: int = 4096) -> None:
        self._interval = interval
        self._max_keys = max_keys
        self._last: dict[tuple[str, ...], tuple[float, int]] = {}

    def admit(self, key: tuple[str, ...], now: float) -> int | None:
        """Return how many lines of ``key`` were suppressed before this one, or ``None`` to suppress it."""
        entry = self._last.get(key)
        if entry is not None and now - entry[0] < self._interval:
            self._last[key] = (entry[0], entry[1] + 1)
            return None
        if entry is None and len(self._last) >= self._max_keys:
            self._last.clear()  # bounded memory; at worst a few extra lines after a flood of keys
        self._last[key] = (now, 0)
        return 0 if entry is None else entry[1]
