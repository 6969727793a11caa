"""The platform-check gate (R-DOC-1.3, design card): no permit is signed for an unproven platform.

The officer runs the check on the node endpoints declared in the applicant's guarantee letter; the
report is signed with the regulator's platform-check key and stored with its content hash (an audit +
outbox stage). The head may sign a permit only while the newest report passes and is not older than
``platform_check_max_age_seconds``; the report's hash then travels with the permit to the chain record.
The check itself (``platform_checks``) is injected as ``runner`` so tests can drive it on real nodes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from permitchain.rule_profile import RuleProfile
from platform_checks import (
    CheckSettings,
    CheckStatus,
    Endpoint,
    PlatformCheckError,
    PlatformCheckRun,
    load_signing_key,
    parse_endpoint,
    run_platform_check,
    verify_report,
)
from registry_api.core.config import Settings
from registry_api.exceptions import Conflict, InvalidInput
from registry_api.models.chain_tables import PlatformCheckRecord
from registry_api.models.schemas import AttachmentKind
from registry_api.models.tables import Application, Attachment
from registry_api.services.auth import Principal
from registry_api.services.stages import record_stage
from registry_api.services.workflow import Status

Runner = Callable[..., Coroutine[Any, Any, PlatformCheckRun]]
CHECKABLE = frozenset({Status.UNDER_EXAMINATION, Status.HEARING_SCHEDULED, Status.PERMIT_PENDING_SIGNATURE})


class PlatformCheckFailed(Conflict):
    """The newest report does not pass (or is missing or stale); ``reasons`` say which checks and why."""

    code = "platform_check_failed"

    def __init__(
        self, message: str, *, code: str | None = None, reasons: Sequence[dict[str, Any]] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.reasons = list(reasons)


def declared_endpoints(session: Session, app: Application) -> list[str]:
    """The node endpoints of the application's guarantee letter (R-DOC-1.3)."""
    letter = session.scalars(
        select(Attachment).where(
            Attachment.application_id == app.id, Attachment.kind == AttachmentKind.GUARANTEE_LETTER.value
        )
    ).first()
    if letter is None or not letter.node_endpoints:
        raise InvalidInput("the guarantee letter declares no node endpoints", code="node_endpoints_missing")
    return list(letter.node_endpoints)


def check_settings(settings: Settings) -> CheckSettings:
    return CheckSettings(
        allow_private=settings.platform_check_allow_private,
        liveness_window_s=settings.platform_check_liveness_window_seconds,
        check_timeout_s=settings.platform_check_timeout_seconds,
    )


def failing_reasons(report_body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every check that did not pass: its id, status and summary (what the 409 answer lists)."""
    return [
        {"check": c["id"], "status": c["status"], "summary": c["summary"]}
        for c in report_body.get("checks", [])
        if c.get("status") != CheckStatus.PASS.value
    ]


def run_check(
    session: Session,
    *,
    app: Application,
    principal: Principal,
    settings: Settings,
    profile: RuleProfile,
    now: dt.datetime,
    runner: Runner = run_platform_check,
) -> PlatformCheckRecord:
    """Probe the declared endpoints, sign and store the report; commit with its audit/outbox stage."""
    if Status(app.status) not in CHECKABLE:
        raise Conflict(
            f"a platform check is run during examination, not in status {app.status}",
            code="platform_check_not_applicable",
        )
    if settings.platform_check_key_file is None:
        raise Conflict("no platform-check signing key is configured", code="platform_check_key_missing")
    try:
        key = load_signing_key(settings.platform_check_key_file)
    except PlatformCheckError as exc:
        raise Conflict(
            f"the platform-check key cannot be used: {exc.message}", code="platform_check_key_invalid"
        ) from exc
    try:
        endpoints: list[Endpoint] = [parse_endpoint(url, None) for url in declared_endpoints(session, app)]
        # The probe runs on wall-clock time (its liveness window is real seconds on real nodes); the
        # service's injected ``now`` dates the stored record.
        run = asyncio.run(runner(endpoints, profile=profile, settings=check_settings(settings)))
    except PlatformCheckError as exc:
        raise InvalidInput(
            f"the declared endpoints cannot be checked: {exc.message}", code="endpoints_invalid"
        ) from exc
    report = run.signed_report(key)
    record = PlatformCheckRecord(
        application_id=app.id,
        checked_at=now,
        actor=principal.iin,
        verdict=run.verdict.value,
        content_hash=report["content_hash"],
        reasons=failing_reasons(report["body"]),
        report=report,
    )
    session.add(record)
    record_stage(
        session,
        application=app,
        principal=principal,
        action="platform_check",
        from_status=app.status,
        now=now,
        detail={"verdict": record.verdict, "report_hash": record.content_hash},
        event_type="platform_checked",
    )
    session.commit()
    return record


def latest(session: Session, app: Application) -> PlatformCheckRecord | None:
    return session.scalars(
        select(PlatformCheckRecord)
        .where(PlatformCheckRecord.application_id == app.id)
        .order_by(PlatformCheckRecord.id.desc())
    ).first()


def require_passing(
    session: Session, *, app: Application, settings: Settings, now: dt.datetime
) -> PlatformCheckRecord | None:
    """The report that lets the head sign this permit, or :class:`PlatformCheckFailed` (409).

    ``None`` when the gate is off (test environment without ``require_platform_check``) or when the
    result awaiting signature is a refusal (a refusal needs no proven platform).
    """
    if Status(app.status) is not Status.PERMIT_PENDING_SIGNATURE:
        return None
    record = latest(session, app)
    if not settings.platform_check_required:
        return record if record is not None and record.verdict == CheckStatus.PASS.value else None
    if record is None:
        raise PlatformCheckFailed(
            "no platform check was run for this application (R-DOC-1.3)", code="platform_check_missing"
        )
    if record.verdict != CheckStatus.PASS.value:
        raise PlatformCheckFailed(
            f"the platform check of {record.checked_at.isoformat()} did not pass ({record.verdict})",
            reasons=record.reasons,
        )
    _check_integrity(record, settings)
    age = now - record.checked_at
    if age > dt.timedelta(seconds=settings.platform_check_max_age_seconds):
        raise PlatformCheckFailed(
            f"the passing platform check is {int(age.total_seconds())} s old; run it again",
            code="platform_check_stale",
        )
    return record


def _check_integrity(record: PlatformCheckRecord, settings: Settings) -> None:
    """The stored report must still be the one the regulator's key signed (no edited verdicts)."""
    if settings.platform_check_key_file is None:
        raise PlatformCheckFailed("no platform-check key is configured", code="platform_check_key_missing")
    try:
        public_key = load_signing_key(settings.platform_check_key_file).verify_key.encode()
        verify_report(record.report, public_key)
    except PlatformCheckError as exc:
        raise PlatformCheckFailed(
            f"the stored platform-check report fails verification: {exc.message}",
            code="platform_check_report_invalid",
        ) from exc
    if (
        record.report.get("content_hash") != record.content_hash
        or record.report["body"].get("verdict") != "pass"
    ):
        raise PlatformCheckFailed(
            "the stored platform-check record does not match its signed report",
            code="platform_check_report_invalid",
        )
