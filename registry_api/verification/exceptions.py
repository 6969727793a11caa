"""Errors of public verification; all derive from the registry service's root so the API answers a
problem response and the CLI ``error: ...`` for each, in the one place each already has."""

from __future__ import annotations

from registry_api.exceptions import InvalidInput, RegistryError


class VerificationInputError(InvalidInput):
    """What was given to verify is unusable (not a hash, too large, no document and no number)."""

    code = "verification_input_invalid"


class ChainUnavailable(RegistryError):
    """The node cannot be reached or answered with an error: the chain's answer is unknown."""

    code = "chain_unavailable"
    status = 503
