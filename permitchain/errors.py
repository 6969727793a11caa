"""The one ancestor of every error a user may see.

Each package keeps its own root (``node.exceptions.NodeError``, ``kz_eds.exceptions.EdsError`` …) and
derives it from :class:`PermitChainError`, so the CLI can turn any of them into a clear message and a
non-zero exit in exactly one place, while a genuine bug still surfaces as a traceback in the logs.
"""

from __future__ import annotations


class PermitChainError(Exception):
    """An error with a stable machine-readable ``code`` and a plain message meant for a person."""

    code: str = "error"
    exit_code: int = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class RuleProfileError(PermitChainError):
    """A rule profile file is missing, malformed or violates an invariant."""

    code = "rule_profile_invalid"
