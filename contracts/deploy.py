"""Deploy the two registries, link them and appoint the registrars, on any web3 provider.

Works the same on eth-tester (accounts unlocked in-process) and on a real node that has no unlocked
accounts: give an :class:`eth_account.signers.local.LocalAccount` and every transaction is signed here
and sent raw. Fees: ``gas_price=0`` sends zero-fee transactions for a permissioned chain whose base fee
is zero; by default the fee fields follow the chain (EIP-1559 fields when blocks carry a base fee).

Order: PermitRegistry (the deployer becomes its admin), IssuerRegistry bound to it, the one-time link,
then one ``add_registrar`` per registrar. Every receipt is checked; a failed step raises
:class:`DeploymentError` naming the step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address
from eth_utils.exceptions import ValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception

from contracts.artifacts import load_artifact
from contracts.exceptions import DeploymentError

DEFAULT_RECEIPT_TIMEOUT_S = 120.0


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


def _checksum(value: str, what: str) -> ChecksumAddress:
    if not is_address(value):
        raise DeploymentError(f"{what} is not an address: {value!r}")
    return to_checksum_address(value)


class TransactionSender:
    """Sends one account's transactions: raw-signed with a local key, or via an unlocked account.

    Nonces are tracked locally after the first read so consecutive deployment steps never race the
    node's view of pending transactions.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount | str,
        *,
        gas_price: int | None = None,
        receipt_timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S,
    ) -> None:
        if gas_price is not None and gas_price < 0:
            raise DeploymentError("gas price must not be negative")
        self._w3 = w3
        self._local = account if isinstance(account, LocalAccount) else None
        self.address = _checksum(account.address if isinstance(account, LocalAccount) else account, "account")
        self._gas_price = gas_price
        self._timeout = receipt_timeout_s
        self._nonce: int | None = None
        self.chain_id = int(w3.eth.chain_id)

    def _fee_fields(self) -> dict[str, int]:
        if self._gas_price is not None:
            return {"gasPrice": self._gas_price}
        base_fee = self._w3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self._w3.eth.gas_price)}
        # Priority fee 0: validators of a permissioned chain are not paid to include transactions.
        return {"maxFeePerGas": 2 * int(base_fee), "maxPriorityFeePerGas": 0}

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = int(self._w3.eth.get_transaction_count(self.address, "pending"))
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def send(self, tx: dict[str, Any], step: str) -> dict[str, Any]:
        """Complete ``tx`` (from, nonce, chain id, fees, gas), send it, wait and return the receipt."""
        tx = {**tx, "from": self.address, "chainId": self.chain_id, **self._fee_fields()}
        try:
            if "gas" not in tx:
                tx["gas"] = int(self._w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
            tx["nonce"] = self._next_nonce()
            if self._local is not None:
                signed = self._local.sign_transaction(tx)
                tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
            else:
                tx_hash = self._w3.eth.send_transaction(tx)  # type: ignore[arg-type]
            receipt = self._w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._timeout)
        except ContractLogicError as exc:
            raise DeploymentError(f"{step}: reverted: {exc.message or exc}") from exc
        except TimeExhausted as exc:
            raise DeploymentError(f"{step}: no receipt within {self._timeout:g} s") from exc
        except (Web3Exception, ValidationError, ValueError, OSError) as exc:
            self._nonce = None  # re-read next time: the node may not have taken this nonce
            raise DeploymentError(f"{step}: {exc}") from exc
        if receipt["status"] != 1:
            raise DeploymentError(f"{step}: transaction {HexBytes(tx_hash).to_0x_hex()} failed")
        return dict(receipt)


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
    sender = TransactionSender(w3, admin, gas_price=gas_price, receipt_timeout_s=receipt_timeout_s)
    registrar_addresses = tuple(
        _checksum(r.address if isinstance(r, LocalAccount) else r, "registrar") for r in registrars
    )
    if len(set(registrar_addresses)) != len(registrar_addresses):
        raise DeploymentError("registrars contain a duplicate address")

    permit_artifact = load_artifact("PermitRegistry")
    issuer_artifact = load_artifact("IssuerRegistry")
    permit_factory = w3.eth.contract(abi=permit_artifact.abi, bytecode=permit_artifact.bytecode)
    issuer_factory = w3.eth.contract(abi=issuer_artifact.abi, bytecode=issuer_artifact.bytecode)

    receipt = sender.send({"data": permit_factory.constructor().data_in_transaction}, "deploy PermitRegistry")
    permit_address = to_checksum_address(receipt["contractAddress"])
    receipt = sender.send(
        {"data": issuer_factory.constructor(permit_address).data_in_transaction}, "deploy IssuerRegistry"
    )
    issuer_address = to_checksum_address(receipt["contractAddress"])

    permit = w3.eth.contract(address=permit_address, abi=permit_artifact.abi)
    sender.send(
        {"to": permit_address, "data": permit.encode_abi("link_issuer_registry", [issuer_address])},
        "link IssuerRegistry",
    )
    for registrar in registrar_addresses:
        sender.send(
            {"to": permit_address, "data": permit.encode_abi("add_registrar", [registrar])},
            f"add registrar {registrar}",
        )
    return RegistryAddresses(
        chain_id=sender.chain_id,
        permit_registry=permit_address,
        issuer_registry=issuer_address,
        admin=sender.address,
        registrars=registrar_addresses,
    )
