"""Probe an applicant's platform over its node RPC endpoints and prove (or disprove) that it runs at
least the rule profile's minimum number of distinct nodes of one live network with a real consensus.

Use :func:`run_platform_check` (async) with endpoints from :func:`parse_endpoint`, then
``run.signed_report(load_signing_key(path))``; check a stored report with :func:`verify_report`.
"""

from __future__ import annotations

from platform_checks.endpoints import Endpoint, parse_endpoint, parse_endpoints
from platform_checks.exceptions import EndpointRejected, PlatformCheckError, ReportVerificationError
from platform_checks.model import CheckId, CheckResult, CheckStatus
from platform_checks.report import content_hash, load_signing_key, report_schema, verify_report
from platform_checks.runner import PlatformCheckRun, run_platform_check
from platform_checks.settings import CheckSettings

__all__ = [
    "CheckId",
    "CheckResult",
    "CheckSettings",
    "CheckStatus",
    "Endpoint",
    "EndpointRejected",
    "PlatformCheckError",
    "PlatformCheckRun",
    "ReportVerificationError",
    "content_hash",
    "load_signing_key",
    "parse_endpoint",
    "parse_endpoints",
    "report_schema",
    "run_platform_check",
    "verify_report",
]
