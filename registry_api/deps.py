"""FastAPI dependencies: settings, a session per request, the injected clock, the ports, the principal.

Every regulator endpoint declares the roles it admits through :func:`allow`; the check happens here,
once, before the route runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from registry_api.core.config import Settings
from registry_api.exceptions import AuthenticationFailed, Forbidden
from registry_api.services.applications import Ports
from registry_api.services.auth import Principal, read_token
from registry_api.services.workflow import Role

Clock = Callable[[], dt.datetime]
_bearer = HTTPBearer(auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_now(request: Request) -> dt.datetime:
    clock: Clock = request.app.state.clock
    return clock()


def get_ports(request: Request) -> Ports:
    ports: Ports = request.app.state.ports
    return ports


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[dt.datetime, Depends(get_now)]
PortsDep = Annotated[Ports, Depends(get_ports)]


def current_principal(
    settings: SettingsDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("sign in with your EDS first (Bearer token)", code="token_missing")
    return read_token(credentials.credentials, secret=settings.secret_bytes(), now=now)


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only ``roles``; everyone else gets 403 with code ``role_not_allowed``."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed}", code="role_not_allowed")
        return principal

    return check


ApplicantDep = Annotated[Principal, Depends(allow(Role.APPLICANT))]
AnyoneDep = Annotated[Principal, Depends(allow(*Role))]
StaffDep = Annotated[Principal, Depends(allow(Role.OFFICER, Role.HEAD, Role.AUDITOR))]
OfficerDep = Annotated[Principal, Depends(allow(Role.OFFICER))]
HeadDep = Annotated[Principal, Depends(allow(Role.HEAD))]
