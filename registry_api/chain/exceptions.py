"""Errors of the chain side, under the registry service's root (so HTTP and CLI map them in one place)."""

from __future__ import annotations

from registry_api.exceptions import RegistryError


class ChainError(RegistryError):
    """The chain could not be reached or did not confirm in time (retryable: the intent stays)."""

    code = "chain_unavailable"
    status = 503


class ChainReverted(ChainError):
    """The contract refused the transaction; ``reason`` is its revert string."""

    code = "chain_reverted"
    status = 409

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeystoreError(ChainError):
    """The registrar keystore is missing, unreadable or its password is wrong (the key is never shown)."""

    code = "registrar_keystore_invalid"
    status = 500
