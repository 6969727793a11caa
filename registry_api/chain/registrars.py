"""Registrar key rotation, done by the registries' admin: add the new registrar, then remove the old.

Permits anchored by the old registrar stay valid (the contract stores the registrar only in the
``PermitAnchored`` event); after removal the old key can no longer write. The admin key is not the
service's key: this runs from an operator's tool or a deployment script.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import Web3

from contracts.artifacts import load_artifact
from contracts.deploy import RegistryAddresses
from contracts.transactions import TransactionSender, checksum_address


def rotate_registrar(
    w3: Web3,
    *,
    admin: LocalAccount,
    addresses: RegistryAddresses,
    new: str,
    old: str | None,
    gas_price: int = 0,
) -> None:
    """Make ``new`` a registrar and (if given) retire ``old``; each step waits for its receipt."""
    permits = w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi)
    sender = TransactionSender(w3, admin, gas_price=gas_price)
    new_address = checksum_address(new, "new registrar")
    if not permits.functions.is_registrar(new_address).call():
        data = permits.encode_abi("add_registrar", [new_address])
        sender.send({"to": permits.address, "data": data}, f"add registrar {new_address}")
    if old is not None:
        old_address = checksum_address(old, "old registrar")
        if permits.functions.is_registrar(old_address).call():
            data = permits.encode_abi("remove_registrar", [old_address])
            sender.send({"to": permits.address, "data": data}, f"remove registrar {old_address}")
