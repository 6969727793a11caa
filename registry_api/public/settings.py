"""Settings of the public read side (env prefix ``REGISTRY_PUBLIC_``), validated where they are loaded.

Kept apart from the service's own settings: the public side only reads, from a node, and needs nothing
secret. ``rpc_url`` / ``contracts_file`` default to the service's ``REGISTRY_CHAIN_RPC_URLS[0]`` /
``REGISTRY_CHAIN_ADDRESSES_FILE``; with neither, the public routes answer 503 ``chain_unavailable``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PublicSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_PUBLIC_", extra="forbid")

    rpc_url: str | None = None
    contracts_file: Path | None = None  # the RegistryAddresses JSON of the deployment
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    # Reads are cached per block; the head is re-read at most this often (the block period is ~1 s).
    head_ttl_seconds: float = Field(default=0.5, ge=0)
    # Token bucket per client IP over the public paths.
    rate_per_second: float = Field(default=20.0, gt=0)
    burst: int = Field(default=40, gt=0)
    max_clients_tracked: int = Field(default=100_000, gt=0)
    # Our reverse proxies (exact IPs): behind them the client is read from X-Forwarded-For.
    trusted_proxies: list[str] = Field(default_factory=list)
    max_upload_bytes: int = Field(default=1024 * 1024, gt=0)  # one permit document or its CMS
    max_page_size: int = Field(default=100, gt=0, le=1000)
