"""Build the service's chain ports from settings: gateway (failover), contracts, registrar sender.

Opening the keystore happens here, once, at start-up: a wrong password stops the service at once
rather than at the first anchoring. The key never leaves the :class:`LocalAccount`.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from registry_api.chain.gateway import RpcGateway
from registry_api.chain.keystore import open_keystore, read_password_file
from registry_api.chain.nonces import NonceBook
from registry_api.chain.registry import RegistryContracts, load_addresses
from registry_api.chain.sender import RegistrarSender
from registry_api.core.config import Settings
from registry_api.exceptions import ConfigurationError


@dataclass(frozen=True, slots=True)
class ChainPorts:
    """What anchoring and status acts need: the contracts (reads, calldata) and the registrar's sender."""

    contracts: RegistryContracts
    sender: RegistrarSender


def registrar_account(settings: Settings) -> LocalAccount:
    if settings.registrar_keystore_file is None:
        raise ConfigurationError("REGISTRY_REGISTRAR_KEYSTORE_FILE is not set")
    if settings.registrar_password is not None:
        password = settings.registrar_password.get_secret_value()
    elif settings.registrar_password_file is not None:
        password = read_password_file(settings.registrar_password_file)
    else:
        raise ConfigurationError("set REGISTRY_REGISTRAR_PASSWORD_FILE (or _PASSWORD) for the keystore")
    return open_keystore(settings.registrar_keystore_file, password)


def connect(
    settings: Settings, *, account: LocalAccount | None = None, nonces: NonceBook | None = None
) -> ChainPorts:
    """Ports for the configured chain; ``account`` overrides the keystore (tests of rotation)."""
    if settings.chain_addresses_file is None:
        raise ConfigurationError("REGISTRY_CHAIN_ADDRESSES_FILE is not set")
    gateway = RpcGateway(settings.chain_rpc_urls, timeout_s=settings.chain_rpc_timeout_seconds)
    contracts = RegistryContracts(gateway, load_addresses(settings.chain_addresses_file))
    sender = RegistrarSender(
        gateway,
        account or registrar_account(settings),
        nonces or NonceBook(),
        gas_price=settings.chain_gas_price,
        confirmation_timeout_s=settings.chain_confirmation_timeout_seconds,
    )
    return ChainPorts(contracts=contracts, sender=sender)
