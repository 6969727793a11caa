"""The checks: pure functions from observations to :class:`~platform_checks.model.CheckResult`.

No check performs I/O or reads the clock; ``platform_checks.collect`` gathers what they need.
"""

from __future__ import annotations
