"""EDS authentication: a one-time nonce, a CMS over it with an AUTHENTICATION certificate, a token.

The token is ``base64url(claims).base64url(HMAC-SHA256(secret, claims))``: short-lived, stateless and
bound to the certificate's IIN/BIN. Regulator roles come only from the configured allow-list (IIN under
the regulator's BIN); any other authenticated person is an applicant acting for its BIN (legal entity)
or its IIN (individual entrepreneur).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry_api.core.config import Settings
from registry_api.exceptions import AuthenticationFailed, SignatureRejected, TooManyRequests
from registry_api.models.tables import AuthChallenge
from registry_api.services.signatures import Expectation, SignatureVerifier, Signer
from registry_api.services.workflow import Role

NONCE_BYTES = 32


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated person and the role they act in."""

    iin: str
    bin: str | None
    role: Role

    @property
    def applicant_id(self) -> str:
        """The applicant this person acts for: the organisation's BIN, else their own IIN."""
        return self.bin or self.iin


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(
    principal: Principal, *, secret: bytes, now: dt.datetime, ttl_seconds: int
) -> tuple[str, dt.datetime]:
    expires = now + dt.timedelta(seconds=ttl_seconds)
    claims = {
        "iin": principal.iin,
        "bin": principal.bin,
        "role": principal.role.value,
        "exp": int(expires.timestamp()),
    }
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    mac = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}", expires


def read_token(token: str, *, secret: bytes, now: dt.datetime) -> Principal:
    """The principal of a genuine, unexpired token; anything else is AuthenticationFailed."""
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        raise AuthenticationFailed("the access token is not genuine", code="token_invalid")
    try:
        claims = json.loads(_unb64(body))
        principal = Principal(iin=str(claims["iin"]), bin=claims["bin"], role=Role(claims["role"]))
        exp = int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AuthenticationFailed("the access token is malformed", code="token_invalid") from exc
    if now.timestamp() >= exp:
        raise AuthenticationFailed("the access token has expired", code="token_expired")
    return principal


def issue_challenge(session: Session, *, now: dt.datetime, settings: Settings) -> AuthChallenge:
    """A fresh nonce; dead ones (used or expired) are swept here so the table stays small."""
    session.execute(delete(AuthChallenge).where(AuthChallenge.expires_at < now))
    live = session.scalar(select(func.count()).select_from(AuthChallenge)) or 0
    if live >= settings.max_live_challenges:
        session.commit()
        raise TooManyRequests("too many sign-in attempts are open; retry shortly", code="too_many_challenges")
    challenge = AuthChallenge(
        nonce=secrets.token_hex(NONCE_BYTES),
        expires_at=now + dt.timedelta(seconds=settings.challenge_ttl_seconds),
        used_at=None,
    )
    session.add(challenge)
    session.commit()
    return challenge


def role_of(signer: Signer, settings: Settings) -> Principal:
    """Map an authenticated certificate to a principal (staff allow-list first, else applicant)."""
    if signer.iin is None:
        raise AuthenticationFailed("the certificate names no IIN", code="certificate_without_iin")
    if settings.regulator_bin and signer.bin == settings.regulator_bin:
        for member in settings.staff:
            if member.iin == signer.iin:
                return Principal(iin=signer.iin, bin=signer.bin, role=Role(member.role))
        raise AuthenticationFailed("this employee has no role in the registry", code="staff_not_allowed")
    return Principal(iin=signer.iin, bin=signer.bin, role=Role.APPLICANT)


def login(
    session: Session,
    *,
    nonce: str,
    cms: bytes,
    verifier: SignatureVerifier,
    settings: Settings,
    now: dt.datetime,
) -> tuple[Principal, str, dt.datetime]:
    """Consume the nonce, verify the authentication signature over it and issue a token."""
    challenge = session.scalars(
        select(AuthChallenge).where(AuthChallenge.nonce == nonce).with_for_update()
    ).first()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        raise AuthenticationFailed("the challenge is unknown, used or expired", code="challenge_invalid")
    challenge.used_at = now  # one attempt per nonce, whatever its outcome
    session.commit()
    try:
        signer = verifier.verify(
            cms, data=nonce.encode(), now=now, expect=Expectation(purpose="authentication")
        )
    except SignatureRejected as exc:
        raise AuthenticationFailed(exc.message, code=exc.code) from exc
    principal = role_of(signer, settings)
    token, expires = issue_token(
        principal, secret=settings.secret_bytes(), now=now, ttl_seconds=settings.token_ttl_seconds
    )
    return principal, token, expires
