"""The one exception root of ``platform_checks``.

Only errors a caller can act on are raised: a refused or malformed endpoint list, a bad key file, a
report whose signature does not hold. What an applicant's node does wrong (slow, huge, lying) is never
raised to the caller: it becomes a failed or unknown check with its evidence.
"""

from __future__ import annotations

from permitchain.errors import PermitChainError


class PlatformCheckError(PermitChainError):
    """Root of every error ``platform_checks`` raises on purpose."""

    code = "platform_check_error"


class EndpointRejected(PlatformCheckError):
    """An endpoint URL is malformed or points where the service must not go (SSRF guard)."""

    code = "endpoint_rejected"


class EndpointUnresolvable(EndpointRejected):
    """An endpoint's host name does not resolve (in time): unreachable rather than forbidden."""

    code = "endpoint_unresolvable"


class RpcCallFailed(PlatformCheckError):
    """One JSON-RPC call to an applicant's node failed; ``kind`` says how (timeout, too_large, …).

    Collected into evidence by the probes; it never reaches a caller of the library.
    """

    code = "rpc_call_failed"

    def __init__(self, kind: str, message: str, *, rpc_code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.rpc_code = rpc_code


class SigningKeyError(PlatformCheckError):
    """The regulator's signing key file is missing, unreadable or not an Ed25519 seed."""

    code = "signing_key_invalid"


class ReportVerificationError(PlatformCheckError):
    """A report's content hash or signature does not hold, or the document is not a report."""

    code = "report_invalid"
