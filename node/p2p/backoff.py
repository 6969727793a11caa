"""Exponential dial backoff with jitter (pure: the random source is injected).

Delays grow ``base · 2^attempt`` up to ``cap``; the actual delay is drawn uniformly from the upper half
of that window ("equal jitter"), so nodes restarted together do not redial in lock-step, yet never redial
sooner than half the nominal delay. A successful connection resets the sequence.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, *, base: float, cap: float, rng: random.Random) -> None:
        self._base = base
        self._cap = cap
        self._rng = rng
        self.attempts = 0

    def nominal(self, attempt: int) -> float:
        """Return the un-jittered delay before retry number ``attempt`` (0-based)."""
        if attempt >= 64:
            return self._cap
        return min(self._cap, self._base * float(2**attempt))

    def next_delay(self) -> float:
        window = self.nominal(self.attempts)
        self.attempts += 1
        return window / 2 + self._rng.random() * window / 2

    def reset(self) -> None:
        self.attempts = 0
