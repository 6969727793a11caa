"""Anchoring signed permits on the chain: durable intent first, then send, then wait for finality.

Why this shape: the head's signature is final in the database, the chain is another system that may
be down, slow or restarted. So the permit becomes an :class:`Anchor` row (state ``intent``) before any
transaction exists; the signed transaction's hash is committed (state ``sent``) before it is broadcast;
only a final block moves the row to ``anchored`` with the transaction hash, block number and block hash.
Any pass of the worker resumes a row from wherever it stopped, and always asks the chain first: a
permit already on chain (by its hash, with the same data) is recorded from its ``PermitAnchored`` event
and never sent again. The issuer enters the on-chain register in the same transaction (R-REGY-1).

The permit hash is the SHA-256 of the signed canonical document exactly as stored (``Document.sha256``).
No HTTP and no clock here: ``now`` and the chain ports are parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from contracts.permit_dates import PermitWindow, window_for_issue
from contracts.statuses import PermitStatus
from permitchain.rule_profile import RuleProfile
from registry_api.chain.connection import ChainPorts
from registry_api.chain.exceptions import ChainError, ChainReverted
from registry_api.chain.sender import Finalized, SignedTx
from registry_api.exceptions import InvalidInput, RegistryError
from registry_api.models.chain_tables import Anchor
from registry_api.models.tables import Application, Document
from registry_api.services import permit_status
from registry_api.services.outbox import backoff
from registry_api.services.platform_gate import latest
from registry_api.services.workflow import Status

log = logging.getLogger(__name__)
MAX_ERROR_TEXT = 500
PERMANENT_REVERTS = frozenset({"permit number taken"})


class AnchorState:
    INTENT = "intent"
    SENT = "sent"
    ANCHORED = "anchored"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AnchorPass:
    anchored: int
    failed: int


def _issued_on(document: Document) -> dt.date:
    return dt.date.fromisoformat(json.loads(document.canonical_json)["date"])


def enqueue_issued(session: Session, *, profile: RuleProfile, now: dt.datetime) -> list[Anchor]:
    """Write an intent for every issued permit that has none yet (idempotent; commits)."""
    rows = session.execute(
        select(Document, Application)
        .join(Application, Application.id == Document.application_id)
        .outerjoin(Anchor, Anchor.document_id == Document.id)
        .where(
            Document.kind == "permit", Application.status == Status.PERMIT_ISSUED.value, Anchor.id.is_(None)
        )
        .order_by(Document.id)
    ).all()
    created = []
    for document, app in rows:
        issued_on = _issued_on(document)
        window = window_for_issue(issued_on, profile)
        report = latest(session, app)
        anchor = Anchor(
            application_id=app.id,
            document_id=document.id,
            permit_hash=document.sha256,
            permit_number=document.number,
            issuer_id=app.applicant_id,
            display_name=app.applicant_name,
            platform_name=str(json.loads(app.form_json)["platform_name"]),
            issued_on=window.issued_on,
            last_valid_day=window.last_valid_day,
            platform_report_hash=report.content_hash if report and report.verdict == "pass" else None,
            state=AnchorState.INTENT,
            permit_status="valid",
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        session.add(anchor)
        created.append(anchor)
    session.commit()
    return created


def window_of(anchor: Anchor, profile: RuleProfile) -> PermitWindow:
    window = window_for_issue(anchor.issued_on, profile)
    if window.last_valid_day != anchor.last_valid_day:
        raise RegistryError(
            f"permit {anchor.permit_number}: stored validity differs from the profile's", code="anchor_dates"
        )
    return window


def _mark_anchored(anchor: Anchor, final: Finalized, registrar: str | None, now: dt.datetime) -> None:
    anchor.state = AnchorState.ANCHORED
    anchor.tx_hash = final.tx_hash
    anchor.block_number = final.block_number
    anchor.block_hash = final.block_hash
    anchor.anchored_at = now
    anchor.last_error = None
    if registrar is not None:
        anchor.registrar = registrar


def _found_on_chain(
    session: Session, anchor: Anchor, chain: ChainPorts, profile: RuleProfile, now: dt.datetime
) -> bool:
    """If the chain already holds this permit: record it (same data) or fail it (other data)."""
    permit_hash = bytes.fromhex(anchor.permit_hash)
    record = chain.contracts.permit(permit_hash)
    if record.status is PermitStatus.NOT_FOUND:
        return False
    window = window_of(anchor, profile)
    wanted = (anchor.permit_number, anchor.issuer_id, window.issued_at, window.valid_until)
    found = (record.permit_number, record.issuer_id, record.issued_at, record.valid_until)
    if found != wanted:
        anchor.state = AnchorState.FAILED
        anchor.last_error = f"the chain holds this hash with other data: {found}"
        session.commit()
        return True
    event = chain.contracts.anchor_log(permit_hash)
    if event is None:
        raise ChainError(
            f"permit {anchor.permit_number} is on chain but its PermitAnchored event is not found"
        )
    final = chain.sender.wait_final(event.tx_hash)
    _mark_anchored(anchor, final, event.registrar, now)
    session.commit()
    return True


def send_anchor(session: Session, anchor: Anchor, chain: ChainPorts, profile: RuleProfile) -> SignedTx:
    """Sign and broadcast the anchoring transaction; its hash is committed (state ``sent``) first."""
    data = chain.contracts.anchor_call(
        permit_hash=bytes.fromhex(anchor.permit_hash),
        permit_number=anchor.permit_number,
        issuer_id=anchor.issuer_id,
        window=window_of(anchor, profile),
        display_name=anchor.display_name,
        platform_name=anchor.platform_name,
    )

    def record(signed: SignedTx) -> None:
        anchor.state = AnchorState.SENT
        anchor.tx_hash = signed.tx_hash
        anchor.nonce = signed.nonce
        anchor.registrar = signed.sender
        session.commit()

    return chain.sender.send(
        chain.contracts.addresses.permit_registry, data, f"anchor permit {anchor.permit_number}", record
    )


def resume_anchor(
    session: Session, anchor: Anchor, *, chain: ChainPorts, profile: RuleProfile, now: dt.datetime
) -> None:
    """Take ``anchor`` to ``anchored`` (or ``failed``) from any state, never anchoring twice."""
    if anchor.state in (AnchorState.ANCHORED, AnchorState.FAILED):
        return
    if _found_on_chain(session, anchor, chain, profile, now):
        return
    # Sent before a crash or an outage: wait for it if any node still knows it, else send anew.
    if (
        anchor.state == AnchorState.SENT
        and anchor.tx_hash is not None
        and (chain.sender.receipt(anchor.tx_hash) is not None or chain.sender.is_pending(anchor.tx_hash))
    ):
        final = chain.sender.wait_final(anchor.tx_hash)
        if final.succeeded:
            _mark_anchored(anchor, final, None, now)
            session.commit()
            return
        if _found_on_chain(session, anchor, chain, profile, now):
            return
    if anchor.state == AnchorState.SENT:
        # Our earlier transaction is known to no node (lost with a restarted node's pool): its nonce
        # was never used, so the local counter is ahead of the chain; ask the node again.
        chain.sender.nonces.reset(chain.sender.address)
    signed = send_anchor(session, anchor, chain, profile)
    final = chain.sender.wait_final(signed.tx_hash)
    if not final.succeeded:
        if _found_on_chain(session, anchor, chain, profile, now):  # another attempt won the race
            return
        raise ChainError(f"anchoring transaction {signed.tx_hash} failed on chain")
    _mark_anchored(anchor, final, signed.sender, now)
    session.commit()


def anchor_one(
    sessions: sessionmaker[Session],
    anchor_id: int,
    *,
    chain: ChainPorts,
    profile: RuleProfile,
    now: dt.datetime,
    base_seconds: float,
    cap_seconds: float,
) -> str:
    """One attempt for one intent; a failure is recorded on the row with its next attempt time."""
    with sessions() as session:
        anchor = session.get(Anchor, anchor_id)
        if anchor is None:
            raise RegistryError(f"no anchor {anchor_id}", code="not_found")
        try:
            resume_anchor(session, anchor, chain=chain, profile=profile, now=now)
        except StaleDataError:
            # Another worker (a second service process) moved this row meanwhile; it asked the chain
            # first too, so nothing was anchored twice. Report the row as it now stands.
            session.rollback()
            current = session.get(Anchor, anchor_id)
            return current.state if current is not None else AnchorState.INTENT
        except (ChainError, RegistryError) as exc:
            session.rollback()
            anchor = session.get(Anchor, anchor_id)
            if anchor is None:  # pragma: no cover - rows are never deleted
                raise
            if anchor.state == AnchorState.ANCHORED:  # another worker finished it while this one failed
                return anchor.state
            anchor.attempts += 1
            anchor.last_error = f"{exc.code}: {exc.message}"[:MAX_ERROR_TEXT]
            if isinstance(exc, InvalidInput) or (
                isinstance(exc, ChainReverted) and exc.reason in PERMANENT_REVERTS
            ):
                anchor.state = AnchorState.FAILED  # retrying cannot help: the data itself is refused
            anchor.next_attempt_at = now + backoff(
                anchor.attempts, base_seconds=base_seconds, cap_seconds=cap_seconds
            )
            session.commit()
            log.warning(
                "anchoring %s: attempt %d failed: %s", anchor.permit_number, anchor.attempts, exc.code
            )
        return anchor.state


def anchor_due(
    sessions: sessionmaker[Session],
    *,
    chain: ChainPorts,
    profile: RuleProfile,
    now: dt.datetime,
    base_seconds: float,
    cap_seconds: float,
    batch: int = 20,
) -> AnchorPass:
    """Enqueue new permits, then try every intent due at ``now`` once, oldest first."""
    with sessions() as session:
        enqueue_issued(session, profile=profile, now=now)
        due = session.scalars(
            select(Anchor.id)
            .where(Anchor.state.in_((AnchorState.INTENT, AnchorState.SENT)), Anchor.next_attempt_at <= now)
            .order_by(Anchor.id)
            .limit(batch)
        ).all()
    anchored = failed = 0
    for anchor_id in due:
        state = anchor_one(
            sessions,
            anchor_id,
            chain=chain,
            profile=profile,
            now=now,
            base_seconds=base_seconds,
            cap_seconds=cap_seconds,
        )
        if state == AnchorState.ANCHORED:
            anchored += 1
        else:
            failed += 1
    return AnchorPass(anchored=anchored, failed=failed)


def run_worker(
    stop: threading.Event,
    sessions: sessionmaker[Session],
    *,
    chain: ChainPorts,
    profile: RuleProfile,
    clock: Callable[[], dt.datetime],
    interval_seconds: float,
    base_seconds: float,
    cap_seconds: float,
) -> None:
    """Anchor (and settle unconfirmed status acts) until ``stop`` is set; run by the service's lifespan."""
    while not stop.is_set():
        try:
            with sessions() as session:
                permit_status.reconcile_acts(session, chain=chain, now=clock())
            anchor_due(
                sessions,
                chain=chain,
                profile=profile,
                now=clock(),
                base_seconds=base_seconds,
                cap_seconds=cap_seconds,
            )
        except Exception:  # the loop must survive anything; the rows keep the state
            log.exception("anchoring pass failed; retrying after the interval")
        stop.wait(interval_seconds)
