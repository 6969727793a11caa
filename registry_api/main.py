"""The FastAPI application: settings, database (migrated at start), ports, routes, problem handlers.

``create_app`` takes every outside dependency as a parameter (clock, verifier, head signer) so tests
inject a fixed ``now`` and the dev PKI; ``permitchain api`` builds the real ones from settings.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from permitchain import __version__
from registry_api.core.config import Settings
from registry_api.core.db import make_engine, migrate, session_factory
from registry_api.deps import Clock
from registry_api.routes import applications, auth, complaints, problems, regulator
from registry_api.routes.limits import BodySizeLimit
from registry_api.services.applications import Ports
from registry_api.services.outbox import run_worker
from registry_api.services.pdf import load_font
from registry_api.services.signatures import DocumentSigner, SignatureVerifier


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings,
    *,
    verifier: SignatureVerifier,
    head_signer: DocumentSigner | None,
    clock: Clock = system_clock,
) -> FastAPI:
    load_font(settings.pdf_font_file)  # fail at start, not when the head first signs a result
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Run the monitoring outbox worker while the service runs (when an endpoint is configured)."""
        if settings.monitoring_url is None:
            yield
            return
        stop = threading.Event()
        with httpx.Client(timeout=10.0) as client:
            worker = threading.Thread(
                target=run_worker,
                name="outbox",
                args=(stop, sessions),
                kwargs={
                    "client": client,
                    "url": settings.monitoring_url,
                    "clock": clock,
                    "interval_seconds": settings.outbox_interval_seconds,
                    "batch": settings.outbox_batch,
                    "base_seconds": settings.outbox_backoff_seconds,
                    "cap_seconds": settings.outbox_backoff_cap_seconds,
                },
                daemon=True,
            )
            worker.start()
            try:
                yield
            finally:
                stop.set()
                worker.join(timeout=30)

    app = FastAPI(
        lifespan=lifespan,
        title="Permit registry for secured digital assets",
        version=__version__,
        description="The public service of order 130/НҚ: applications, workflow, results, complaints.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.clock = clock
    app.state.ports = Ports(settings=settings, verifier=verifier, head_signer=head_signer)
    problems.install(app)
    for module in (auth, applications, regulator, complaints):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
