"""``/v1/regulator/permits``: an issued permit's chain record, and the head's suspend/reinstate/revoke.

HTTP only: the acts live in :mod:`registry_api.services.permit_status`; this module reads the chain
ports from the app state (``None`` when the service runs without a chain).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from registry_api.chain.connection import ChainPorts
from registry_api.deps import HeadDep, NowDep, SessionDep, SettingsDep, StaffDep
from registry_api.models.chain_tables import Anchor
from registry_api.services import permit_status
from registry_api.services.permit_status import PermitAction

router = APIRouter(prefix="/v1/regulator/permits", tags=["regulator"])


def get_chain(request: Request) -> ChainPorts | None:
    chain: ChainPorts | None = getattr(request.app.state, "chain", None)
    return chain


ChainDep = Annotated[ChainPorts | None, Depends(get_chain)]


class PermitActIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: int | None = Field(default=None, ge=1, le=0xFFFF)
    reason: str = Field(min_length=1, max_length=2000)


def _view(anchor: Anchor, state: str, acts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "permit_number": anchor.permit_number,
        "permit_sha256": anchor.permit_hash,
        "issuer_id": anchor.issuer_id,
        "issued_on": anchor.issued_on.isoformat(),
        "last_valid_day": anchor.last_valid_day.isoformat(),
        "status": state,
        "anchoring": {
            "state": anchor.state,
            "tx_hash": anchor.tx_hash,
            "block_number": anchor.block_number,
            "block_hash": anchor.block_hash,
            "registrar": anchor.registrar,
            "attempts": anchor.attempts,
            "last_error": anchor.last_error,
            "anchored_at": anchor.anchored_at.isoformat() if anchor.anchored_at else None,
        },
        "platform_report_hash": anchor.platform_report_hash,
        "acts": acts,
    }


def _present(session: SessionDep, anchor: Anchor, settings: SettingsDep, now: NowDep) -> dict[str, Any]:
    state = permit_status.state_at(anchor, profile=settings.profile, now=now)
    acts = [
        {
            "act": a.act,
            "reason_code": a.reason_code,
            "reason": a.reason,
            "actor": a.actor,
            "requested_at": a.requested_at.isoformat(),
            "state": a.state,
            "tx_hash": a.tx_hash,
            "block_number": a.block_number,
            "last_error": a.last_error,
        }
        for a in permit_status.acts_of(session, anchor)
    ]
    return _view(anchor, state.value, acts)


@router.get("/{permit_number}")
def permit(
    permit_number: str, principal: StaffDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> dict[str, Any]:
    """The permit's register entry: anchoring (tx, block), status now (expiry derived), acts."""
    return _present(session, permit_status.anchor_by_number(session, permit_number), settings, now)


@router.post("/{permit_number}/{action}")
def act(
    *,
    permit_number: str,
    action: PermitAction,
    body: PermitActIn,
    principal: HeadDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    chain: ChainDep,
) -> dict[str, Any]:
    """Suspend, reinstate or revoke on chain (the head only), with a reason; answered once final."""
    anchor = permit_status.act_on_permit(
        session,
        permit_number=permit_number,
        action=action,
        reason_code=body.reason_code,
        reason=body.reason,
        principal=principal,
        chain=chain,
        profile=settings.profile,
        now=now,
    )
    return _present(session, anchor, settings, now)
