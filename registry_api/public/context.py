"""What the public routes share: the chain view, the signature policy, the limiter, the limits.

Built once from settings (:func:`build_context`) and kept on ``app.state.public``; tests build one
around their own devnet and limiter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contracts.deploy import RegistryAddresses
from permitchain.errors import PermitChainError
from registry_api.core.config import Settings
from registry_api.public.rate_limit import RateLimiter
from registry_api.public.settings import PublicSettings
from registry_api.services.signatures import build_ports
from registry_api.verification.chain_view import RegistryView
from registry_api.verification.exceptions import ChainUnavailable
from registry_api.verification.signature_check import SignaturePolicy
from registry_api.verification.web3_view import Web3RegistryView, connect


@dataclass
class PublicContext:
    view: RegistryView | None
    signatures: SignaturePolicy
    limiter: RateLimiter
    tz: ZoneInfo
    max_upload_bytes: int = 1024 * 1024
    max_page_size: int = 100
    trusted_proxies: frozenset[str] = frozenset()  # reverse proxies whose X-Forwarded-For we believe

    def chain(self) -> RegistryView:
        if self.view is None:
            raise ChainUnavailable(
                "the public register is not connected to a node (set REGISTRY_PUBLIC_RPC_URL and "
                "REGISTRY_PUBLIC_CONTRACTS_FILE, or the service's REGISTRY_CHAIN_RPC_URLS and "
                "REGISTRY_CHAIN_ADDRESSES_FILE)"
            )
        return self.view


def build_context(settings: Settings, public: PublicSettings) -> PublicContext:
    """The context from settings; a missing chain or trust configuration degrades, it does not crash:
    the routes then answer 503 (no chain) or report the signature check as unknown (no trust roots)."""
    view: RegistryView | None = None
    # Its own node if configured (a read replica), else the node the service anchors through.
    rpc_url = public.rpc_url or (settings.chain_rpc_urls[0] if settings.chain_rpc_urls else None)
    contracts_file = public.contracts_file or settings.chain_addresses_file
    if rpc_url and contracts_file:
        try:
            addresses = RegistryAddresses.from_json(json.loads(contracts_file.read_text("utf-8")))
        except (OSError, ValueError) as exc:
            raise ChainUnavailable(f"cannot read {contracts_file}: {exc}") from exc
        view = Web3RegistryView(
            connect(rpc_url, timeout_seconds=public.rpc_timeout_seconds),
            permit_registry=addresses.permit_registry,
            issuer_registry=addresses.issuer_registry,
            head_ttl_seconds=public.head_ttl_seconds,
        )
    try:
        trust = build_ports(settings)[0].trust
    except PermitChainError:
        trust = None
    return PublicContext(
        view=view,
        signatures=SignaturePolicy(
            trust=trust,
            regulator_bin=settings.regulator_bin,
            accept_test_pki_identifiers=not settings.strict_iin_checksum,
        ),
        limiter=RateLimiter(
            rate=public.rate_per_second, burst=public.burst, max_clients=public.max_clients_tracked
        ),
        tz=settings.profile.timezone,
        max_upload_bytes=public.max_upload_bytes,
        max_page_size=public.max_page_size,
        trusted_proxies=frozenset(public.trusted_proxies),
    )
