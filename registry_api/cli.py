"""``permitchain api``: run the registry service (uvicorn), migrating the database first.

Settings come from ``REGISTRY_*`` environment variables; the flags override the few a person types.
"""

from __future__ import annotations

import argparse

from registry_api.core.config import load_settings
from registry_api.core.db import make_engine, migrate


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only the serving path needs the server

    from registry_api.main import create_app  # noqa: PLC0415
    from registry_api.services.signatures import build_ports  # noqa: PLC0415

    overrides: dict[str, object] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
    settings = load_settings(**overrides)
    if args.migrate_only:
        engine = make_engine(settings.database_url)
        migrate(engine)
        engine.dispose()
        print(f"database migrated: {engine.url.render_as_string(hide_password=True)}")
        return 0
    verifier, head_signer = build_ports(settings)
    app = create_app(settings, verifier=verifier, head_signer=head_signer)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "api", help="run the registry service (OpenAPI at /openapi.json, docs at /docs)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...)")
    parser.add_argument("--migrate-only", action="store_true", help="apply migrations and exit")
    parser.set_defaults(handler=_serve)
