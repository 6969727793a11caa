"""The public read side of the registry: issuer register API, verification API and web page.

``install(app, settings)`` adds the routes, the per-IP rate limit and CORS (public paths only) and
builds the shared :class:`~registry_api.public.context.PublicContext` from settings; tests replace
``app.state.public`` with one built around their own devnet.
"""

from __future__ import annotations

from fastapi import FastAPI

from registry_api.core.config import Settings
from registry_api.public import api, page
from registry_api.public.context import PublicContext, build_context
from registry_api.public.cors import PublicCors
from registry_api.public.rate_limit import PublicRateLimit
from registry_api.public.settings import PublicSettings

__all__ = ["PublicContext", "PublicSettings", "build_context", "install"]


def install(app: FastAPI, settings: Settings, public: PublicSettings | None = None) -> None:
    app.state.public = build_context(settings, public or PublicSettings())
    app.include_router(api.router)
    app.include_router(page.router)
    app.add_middleware(PublicRateLimit)
    app.add_middleware(PublicCors)  # outermost of the two: a 429 still carries the CORS headers
