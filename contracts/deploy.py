"""Deploy the two registries, link them and appoint the registrars, on any web3 provider.

Works the same on eth-tester (accounts unlocked in-process) and on a real node that has no unlocked
accounts: give an :class:`eth_account.signers.local.LocalAccount` and every transaction is signed here
and sent raw. Fees: ``gas_price=0`` sends zero-fee transactions for a permissioned chain whose base fee
is zero; by default the fee fields follow the chain (EIP-1559 fields when blocks carry a base fee).

Order: PermitRegistry (the deployer becomes its admin) and IssuerRegistry bound to it, sent together;
then the one-time link and one ``add_registrar`` per registrar, sent together. Every receipt is
checked; a failed step raises :class:`DeploymentError` naming the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.types import Nonce
from web3.utils.address import get_create_address

from contracts.artifacts import load_artifact
from contracts.exceptions import DeploymentError, InvalidValueError
from contracts.transactions import (
    DEFAULT_RECEIPT_TIMEOUT_S,
    TransactionError,
    TransactionSender,
    account_address,
    checksum_address,
)

# TransactionSender lived here first; the node's registry-flow test imports it from this module.
__all__ = ["DEFAULT_RECEIPT_TIMEOUT_S", "RegistryAddresses", "TransactionSender", "deploy_registries"]


@dataclass(frozen=True, slots=True)
class RegistryAddresses:
    """Where the registries live on one chain, and who governs them."""

    chain_id: int
    permit_registry: ChecksumAddress
    issuer_registry: ChecksumAddress
    admin: ChecksumAddress
    registrars: tuple[ChecksumAddress, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "permit_registry": self.permit_registry,
            "issuer_registry": self.issuer_registry,
            "admin": self.admin,
            "registrars": list(self.registrars),
        }

    @classmethod
    def from_json(cls, data: Any) -> RegistryAddresses:
        """Read back what :meth:`to_json` wrote (e.g. a devnet's addresses file), checking every field."""
        if not isinstance(data, dict):
            raise InvalidValueError("registry addresses must be a JSON object")
        try:
            chain_id, registrars = data["chain_id"], data["registrars"]
            fields = {name: data[name] for name in ("permit_registry", "issuer_registry", "admin")}
        except KeyError as exc:
            raise InvalidValueError(f"registry addresses: missing {exc}") from exc
        if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id <= 0:
            raise InvalidValueError("registry addresses: chain_id must be a positive integer")
        if not isinstance(registrars, list):
            raise InvalidValueError("registry addresses: registrars must be a list")
        checked = {name: checksum_address(str(value), name) for name, value in fields.items()}
        return cls(
            chain_id=chain_id,
            registrars=tuple(checksum_address(str(r), "registrar") for r in registrars),
            **checked,
        )


def deploy_registries(
    w3: Web3,
    *,
    admin: LocalAccount | str,
    registrars: Sequence[LocalAccount | str],
    gas_price: int | None = None,
    receipt_timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S,
) -> RegistryAddresses:
    """Deploy PermitRegistry and IssuerRegistry, link them and add ``registrars``.

    ``admin`` deploys and becomes the admin: a local account (raw signed transactions) or the address
    of an account the provider can sign for. Registrars may be given as accounts or addresses.
    """
    try:
        return _deploy(w3, admin, registrars, gas_price, receipt_timeout_s)
    except (TransactionError, InvalidValueError) as exc:
        raise DeploymentError(exc.message) from exc


def _deploy(
    w3: Web3,
    admin: LocalAccount | str,
    registrars: Sequence[LocalAccount | str],
    gas_price: int | None,
    receipt_timeout_s: float,
) -> RegistryAddresses:
    sender = TransactionSender(w3, admin, gas_price=gas_price, receipt_timeout_s=receipt_timeout_s)
    registrar_addresses = tuple(account_address(r, "registrar") for r in registrars)
    if len(set(registrar_addresses)) != len(registrar_addresses):
        raise DeploymentError("registrars contain a duplicate address")
    permit_artifact = load_artifact("PermitRegistry")
    issuer_artifact = load_artifact("IssuerRegistry")
    permit_factory = w3.eth.contract(abi=permit_artifact.abi, bytecode=permit_artifact.bytecode)
    issuer_factory = w3.eth.contract(abi=issuer_artifact.abi, bytecode=issuer_artifact.bytecode)

    # Two rounds of transactions that do not depend on each other, each sent at once: the deployments
    # (IssuerRegistry is bound to the address PermitRegistry will get), then the link and the
    # registrars. Two blocks instead of one per step.
    permit_address = get_create_address(sender.address, Nonce(sender.next_nonce()))
    permit_receipt, issuer_receipt = sender.send_all(
        [
            ({"data": permit_factory.constructor().data_in_transaction}, "deploy PermitRegistry"),
            (
                {"data": issuer_factory.constructor(permit_address).data_in_transaction},
                "deploy IssuerRegistry",
            ),
        ]
    )
    if to_checksum_address(permit_receipt["contractAddress"]) != permit_address:
        raise DeploymentError(
            "deploy PermitRegistry: the node put it at another address than its nonce gives; "
            "another transaction of the admin account must have taken that nonce"
        )
    issuer_address = to_checksum_address(issuer_receipt["contractAddress"])

    permit = w3.eth.contract(address=permit_address, abi=permit_artifact.abi)
    sender.send_all(
        [
            (
                {"to": permit_address, "data": permit.encode_abi("link_issuer_registry", [issuer_address])},
                "link IssuerRegistry",
            ),
            *(
                (
                    {"to": permit_address, "data": permit.encode_abi("add_registrar", [registrar])},
                    f"add registrar {registrar}",
                )
                for registrar in registrar_addresses
            ),
        ]
    )
    return RegistryAddresses(
        chain_id=sender.chain_id,
        permit_registry=permit_address,
        issuer_registry=issuer_address,
        admin=sender.address,
        registrars=registrar_addresses,
    )
