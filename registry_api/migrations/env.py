"""Alembic environment: runs on the connection handed over by ``registry_api.core.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from registry_api.models.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` CLI use during development: a URL in the config
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/registry.sqlite3")
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
