"""A permit's life after issue: suspension, reinstatement, revocation (by the head), and expiry.

Every act goes to the chain through the registrar (``PermitRegistry.suspend/reinstate/revoke``, which
also moves the issuer in the state register when it is the issuer's current permit) and is mirrored in
the database with an audit row and an outbox event. The act is written as a row (state ``intent``)
before anything is sent, and its transaction hash before broadcasting, so a failure leaves a visible,
retryable record. Expiry is not an act: it is derived from the rule profile's validity and ``now``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from permitchain.rule_profile import RuleProfile
from registry_api.chain.connection import ChainPorts
from registry_api.chain.exceptions import ChainError
from registry_api.chain.sender import Finalized, SignedTx
from registry_api.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from registry_api.models.chain_tables import Anchor, PermitAct
from registry_api.models.tables import Application
from registry_api.services.auth import Principal
from registry_api.services.stages import record_stage
from registry_api.services.workflow import Role


class PermitAction(StrEnum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"


class PermitState(StrEnum):
    """What the register says about a permit at a moment (the contract's precedence)."""

    PENDING_ANCHOR = "pending_anchor"
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


# Which stored status each act requires and leaves behind.
_FROM: dict[PermitAction, frozenset[str]] = {
    PermitAction.SUSPEND: frozenset({"valid"}),
    PermitAction.REINSTATE: frozenset({"suspended"}),
    PermitAction.REVOKE: frozenset({"valid", "suspended"}),
}
_TO = {PermitAction.SUSPEND: "suspended", PermitAction.REINSTATE: "valid", PermitAction.REVOKE: "revoked"}
_EVENT = {
    PermitAction.SUSPEND: "permit_suspended",
    PermitAction.REINSTATE: "permit_reinstated",
    PermitAction.REVOKE: "permit_revoked",
}


def state_at(anchor: Anchor, *, profile: RuleProfile, now: dt.datetime) -> PermitState:
    """Revoked > suspended > not yet valid > expired > valid; dates in the profile's time zone."""
    if anchor.permit_status == "revoked":
        return PermitState.REVOKED
    if anchor.permit_status == "suspended":
        return PermitState.SUSPENDED
    today = now.astimezone(profile.timezone).date()
    if today < anchor.issued_on:
        return PermitState.NOT_YET_VALID
    if today > anchor.last_valid_day:
        return PermitState.EXPIRED
    if anchor.state != "anchored":
        return PermitState.PENDING_ANCHOR
    return PermitState.VALID


def anchor_by_number(session: Session, permit_number: str) -> Anchor:
    anchor = session.scalars(select(Anchor).where(Anchor.permit_number == permit_number)).first()
    if anchor is None:
        raise NotFound(f"no issued permit {permit_number}")
    return anchor


def acts_of(session: Session, anchor: Anchor) -> list[PermitAct]:
    return list(
        session.scalars(select(PermitAct).where(PermitAct.anchor_id == anchor.id).order_by(PermitAct.id))
    )


def act_on_permit(
    session: Session,
    *,
    permit_number: str,
    action: PermitAction,
    reason_code: int | None,
    reason: str,
    principal: Principal,
    chain: ChainPorts | None,
    profile: RuleProfile,
    now: dt.datetime,
) -> Anchor:
    """Suspend, reinstate or revoke an anchored permit on chain, then mirror it (audit + outbox)."""
    if principal.role is not Role.HEAD:
        raise Forbidden(
            "suspension, reinstatement and revocation are acts of the head", code="role_not_allowed"
        )
    if chain is None:
        raise Conflict("no chain is configured for this service", code="chain_not_configured")
    if action is not PermitAction.REINSTATE and not (reason_code and 1 <= reason_code <= 0xFFFF):
        raise InvalidInput("a reason code 1..65535 is required", code="reason_code_required")
    anchor = anchor_by_number(session, permit_number)
    if anchor.state != "anchored":
        raise Conflict(
            f"permit {permit_number} is not anchored yet ({anchor.state})", code="permit_not_anchored"
        )
    if any(a.state == "sent" for a in acts_of(session, anchor)):
        raise Conflict(
            f"an act on permit {permit_number} is still awaiting the chain", code="permit_act_in_progress"
        )
    if anchor.permit_status not in _FROM[action]:
        raise Conflict(
            f"a {anchor.permit_status} permit cannot be {_TO[action]}", code="permit_status_conflict"
        )
    if (
        state_at(anchor, profile=profile, now=now) is PermitState.EXPIRED
        and action is not PermitAction.REVOKE
    ):
        raise Conflict(f"permit {permit_number} has expired", code="permit_expired")
    act = PermitAct(
        anchor_id=anchor.id,
        act=action.value,
        reason_code=reason_code if action is not PermitAction.REINSTATE else None,
        reason=reason,
        actor=principal.iin,
        requested_at=now,
        state="intent",
    )
    session.add(act)
    session.commit()

    def record(signed: SignedTx) -> None:
        act.state = "sent"
        act.tx_hash = signed.tx_hash
        session.commit()

    permit_hash = bytes.fromhex(anchor.permit_hash)
    try:
        data = chain.contracts.act_call(action.value, permit_hash, act.reason_code)
        signed = chain.sender.send(
            chain.contracts.addresses.permit_registry, data, f"{action.value} permit {permit_number}", record
        )
        final = chain.sender.wait_final(signed.tx_hash)
    except ChainError as exc:
        # Refused before sending: nothing happened. Sent but unconfirmed: stays "sent" for the worker
        # (reconcile_acts) to settle from the chain, so the database never contradicts it.
        if act.tx_hash is None:
            act.state = "failed"
        act.last_error = f"{exc.code}: {exc.message}"[:500]
        session.commit()
        raise
    if not final.succeeded:
        act.state = "failed"
        act.last_error = f"transaction {final.tx_hash} failed on chain"
        session.commit()
        raise ChainError(f"{action.value} transaction {final.tx_hash} failed on chain")
    _apply_once(session, anchor, act, final, now)
    return anchor


def _apply_once(session: Session, anchor: Anchor, act: PermitAct, final: Finalized, now: dt.datetime) -> None:
    """Mirror a final act exactly once, whichever of the request and the worker gets there first.

    Once the act is ``sent``, the anchoring worker's ``reconcile_acts`` may settle it from the chain while
    the request that sent it is still waiting for finality. The anchor row is versioned, so the loser's
    flush fails as a whole (no second audit row or event); it then finds the act done and stops, or, when
    the anchor changed for another reason, mirrors the act onto the fresh row.
    """
    try:
        _apply(session, anchor, act, final, now)
    except StaleDataError:
        session.rollback()
        session.refresh(act)
        session.refresh(anchor)
        if act.state == "done":
            return
        _apply(session, anchor, act, final, now)


def _apply(session: Session, anchor: Anchor, act: PermitAct, final: Finalized, now: dt.datetime) -> None:
    """Mirror a final act: the act row, the permit's stored status, an audit row and an outbox event."""
    action = PermitAction(act.act)
    act.state = "done"
    act.tx_hash = final.tx_hash
    act.block_number = final.block_number
    act.block_hash = final.block_hash
    act.done_at = now
    act.last_error = None
    anchor.permit_status = _TO[action]
    app = session.get(Application, anchor.application_id)
    if app is None:  # pragma: no cover - foreign key
        raise NotFound(f"no application for permit {anchor.permit_number}")
    record_stage(
        session,
        application=app,
        principal=Principal(iin=act.actor, bin=None, role=Role.HEAD),
        action=f"permit_{action.value}",
        from_status=app.status,
        now=now,
        detail={
            "permit_number": anchor.permit_number,
            "permit_sha256": anchor.permit_hash,
            "reason_code": act.reason_code,
            "reason": act.reason,
            "tx_hash": final.tx_hash,
            "block_number": final.block_number,
        },
        event_type=_EVENT[action],
    )
    session.commit()


def reconcile_acts(session: Session, *, chain: ChainPorts, now: dt.datetime) -> int:
    """Settle acts left ``sent`` (a crash or timeout after broadcasting) from the chain; returns how many.

    Landed and final: mirrored as if confirmed at once. Unknown to every node and without a receipt:
    it never happened, so the act fails and the permit keeps its status. Still pending: next pass.
    """
    settled = 0
    pending = session.scalars(select(PermitAct).where(PermitAct.state == "sent").order_by(PermitAct.id)).all()
    for act in pending:
        if act.tx_hash is None:  # pragma: no cover - "sent" is only written with its hash
            continue
        if chain.sender.receipt(act.tx_hash) is None:
            if chain.sender.is_pending(act.tx_hash):
                continue
            chain.sender.nonces.reset(chain.sender.address)  # its nonce was never used
            act.state = "failed"
            act.last_error = "the transaction never reached the chain; nothing changed"
            session.commit()
            settled += 1
            continue
        final = chain.sender.wait_final(act.tx_hash)
        anchor = session.get(Anchor, act.anchor_id)
        if anchor is None:  # pragma: no cover - foreign key
            continue
        if final.succeeded:
            _apply_once(session, anchor, act, final, now)
        else:
            act.state = "failed"
            act.last_error = f"transaction {final.tx_hash} failed on chain"
            session.commit()
        settled += 1
    return settled
