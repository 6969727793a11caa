"""``/v1/auth``: EDS authentication (challenge, then a CMS over it with an authentication certificate)."""

from __future__ import annotations

from fastapi import APIRouter

from registry_api.deps import NowDep, PortsDep, SessionDep, SettingsDep
from registry_api.models.schemas import ChallengePublic, LoginIn, TokenPublic
from registry_api.services import auth
from registry_api.services.canonical import decode_base64

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/challenge", response_model=ChallengePublic)
def challenge(*, session: SessionDep, settings: SettingsDep, now: NowDep) -> ChallengePublic:
    issued = auth.issue_challenge(session, now=now, settings=settings)
    return ChallengePublic(nonce=issued.nonce, expires_at=issued.expires_at)


@router.post("/token", response_model=TokenPublic)
def token(*, body: LoginIn, session: SessionDep, ports: PortsDep, now: NowDep) -> TokenPublic:
    cms = decode_base64(body.signature_base64, "signature")
    principal, access, expires = auth.login(
        session, nonce=body.nonce, cms=cms, verifier=ports.verifier, settings=ports.settings, now=now
    )
    return TokenPublic(access_token=access, expires_at=expires, role=principal.role.value)
