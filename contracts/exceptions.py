"""The one error root of ``contracts``: compiling, loading, deploying and reading the registries.

Derived from :class:`~permitchain.errors.PermitChainError`, so the CLI shows ``error: <message>`` and a
non-zero exit instead of a traceback, and callers can catch every contract problem in one clause.
"""

from __future__ import annotations

from permitchain.errors import PermitChainError


class ContractsError(PermitChainError):
    """Something about the registry contracts went wrong."""

    code = "contracts_error"


class ArtifactError(ContractsError):
    """A compiled artifact is missing, unreadable or does not match its source."""

    code = "contracts_artifact_invalid"


class CompileError(ContractsError):
    """The Vyper compiler rejected a source."""

    code = "contracts_compile_failed"


class DeploymentError(ContractsError):
    """A deployment transaction could not be sent or did not succeed."""

    code = "contracts_deploy_failed"


class InvalidValueError(ContractsError):
    """A value meant for the contracts (issuer id, date) is malformed; rejected before any transaction."""

    code = "contracts_invalid_value"
