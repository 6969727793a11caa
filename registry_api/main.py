"""The FastAPI application: settings, database (migrated at start), ports, routes, problem handlers.

``create_app`` takes every outside dependency as a parameter (clock, verifier, head signer) so tests
inject a fixed ``now`` and the dev PKI; ``permitchain api`` builds the real ones from settings.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

import httpx
from fastapi import FastAPI

from permitchain import __version__
from registry_api import public
from registry_api.chain.connection import ChainPorts, connect
from registry_api.core.config import Settings
from registry_api.core.db import make_engine, migrate, session_factory
from registry_api.deps import Clock
from registry_api.routes import applications, auth, complaints, permits_admin, problems, regulator
from registry_api.routes.limits import BodySizeLimit, JsonNestingLimit
from registry_api.services import anchoring
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
    chain: ChainPorts | None = None,
    run_anchoring_worker: bool = True,
) -> FastAPI:
    """The app; ``chain`` defaults to the configured chain (none when no RPC URL is set)."""
    load_font(settings.pdf_font_file)  # fail at start, not when the head first signs a result
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    if chain is None and settings.anchoring_enabled:
        chain = connect(settings)  # opens the keystore now: a wrong password stops the start

    @contextmanager
    def anchoring_worker() -> Iterator[None]:
        """Anchor signed permits in the background (resumes intents left by a crash or an outage)."""
        if chain is None or not run_anchoring_worker:
            yield
            return
        stop = threading.Event()
        worker = threading.Thread(
            target=anchoring.run_worker,
            name="anchoring",
            args=(stop, sessions),
            kwargs={
                "chain": chain,
                "profile": settings.profile,
                "clock": clock,
                "interval_seconds": settings.anchor_interval_seconds,
                "base_seconds": settings.anchor_backoff_seconds,
                "cap_seconds": settings.anchor_backoff_cap_seconds,
            },
            daemon=True,
        )
        worker.start()
        try:
            yield
        finally:
            stop.set()
            worker.join(timeout=settings.chain_confirmation_timeout_seconds + 10)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Run the anchoring worker and the monitoring outbox worker while the service runs."""
        with ExitStack() as stack:
            stack.enter_context(anchoring_worker())
            if settings.monitoring_url is None:
                yield
                return
            async with outbox_worker():
                yield

    @asynccontextmanager
    async def outbox_worker() -> AsyncIterator[None]:
        """The monitoring outbox worker (when an endpoint is configured)."""
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
    app.state.chain = chain
    problems.install(app)
    for module in (auth, applications, regulator, complaints, permits_admin):
        app.include_router(module.router)
    public.install(app, settings)  # public register, verification API and page (no login)
    app.add_middleware(JsonNestingLimit)  # inner: sees bodies BodySizeLimit already bounded
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
