"""Public verification of a permit, with no HTTP and no database: usable by the API and the CLI alike.

The chain is the source of truth. :func:`~registry_api.verification.verifier.verify_permit` takes what a
verifier holds (the canonical JSON, its CMS, a hash or a number), a :class:`RegistryView` of a node and
the regulator's trust anchors, and returns a :class:`VerificationReport`: one typed check per concern
(integrity, signature, anchor, status, validity, issuer) and an overall verdict.
"""

from __future__ import annotations

from registry_api.verification.chain_view import AnchorProof, PermitEvent, RegistryView
from registry_api.verification.report import Check, CheckCode, Outcome, Verdict, VerificationReport
from registry_api.verification.signature_check import SignaturePolicy
from registry_api.verification.verifier import Evidence, ServiceCopy, verify_permit

__all__ = [
    "AnchorProof",
    "Check",
    "CheckCode",
    "Evidence",
    "Outcome",
    "PermitEvent",
    "RegistryView",
    "ServiceCopy",
    "SignaturePolicy",
    "Verdict",
    "VerificationReport",
    "verify_permit",
]
