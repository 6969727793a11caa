"""The two registry contracts as the service uses them: encoded calls, on-chain lookups, addresses file.

Arguments are validated here before anything is signed (the same byte limits the contracts'
ABI enforces), so a bad value is an error for the caller, never a reverted transaction. Reads go
through the :class:`RpcGateway`, so they fail over like writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from contracts.artifacts import load_artifact
from contracts.deploy import RegistryAddresses
from contracts.exceptions import ContractsError
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import PermitWindow
from contracts.registry_reader import PermitRecord
from contracts.registry_writer import MAX_DISPLAY_NAME_BYTES, MAX_PERMIT_NUMBER_BYTES, MAX_PLATFORM_NAME_BYTES
from registry_api.chain.exceptions import ChainError
from registry_api.chain.gateway import RpcGateway
from registry_api.exceptions import ConfigurationError, InvalidInput


def load_addresses(path: Path) -> RegistryAddresses:
    """The deployment written by ``permitchain contracts deploy`` (JSON of ``RegistryAddresses``)."""
    try:
        return RegistryAddresses.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ContractsError) as exc:
        raise ConfigurationError(f"cannot read the contract addresses file {path}: {exc}") from exc


def _text(value: str, field: str, limit: int) -> str:
    size = len(value.encode("utf-8"))
    if not 0 < size <= limit:
        raise InvalidInput(
            f"{field} must be 1..{limit} bytes in UTF-8, got {size}", code="chain_value_invalid"
        )
    return value


@dataclass(frozen=True, slots=True)
class AnchorLog:
    """The ``PermitAnchored`` event of a permit: which transaction and block anchored it, and by whom."""

    tx_hash: str
    block_number: int
    block_hash: str
    registrar: str


class RegistryContracts:
    """Encoders and lookups for one deployment of PermitRegistry + IssuerRegistry."""

    def __init__(self, gateway: RpcGateway, addresses: RegistryAddresses) -> None:
        self.gateway = gateway
        self.addresses = addresses
        w3 = gateway.w3
        self.permits: Contract = w3.eth.contract(
            address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi
        )
        self.issuers: Contract = w3.eth.contract(
            address=addresses.issuer_registry, abi=load_artifact("IssuerRegistry").abi
        )
        abi = load_artifact("PermitRegistry").abi
        event = next(e for e in abi if e.get("type") == "event" and e.get("name") == "PermitAnchored")
        self.anchored_topic = "0x" + event_abi_to_log_topic(event).hex()  # type: ignore[arg-type]

    def anchor_call(
        self,
        *,
        permit_hash: bytes,
        permit_number: str,
        issuer_id: str,
        window: PermitWindow,
        display_name: str,
        platform_name: str,
    ) -> str:
        """Calldata of ``anchor`` (the issuer is entered or updated in the same call, R-REGY-1)."""
        try:
            issuer = encode_issuer_id(issuer_id)
        except ContractsError as exc:
            raise InvalidInput(exc.message, code="chain_value_invalid") from exc
        return str(
            self.permits.encode_abi(
                "anchor",
                [
                    permit_hash,
                    _text(permit_number, "permit number", MAX_PERMIT_NUMBER_BYTES),
                    issuer,
                    window.issued_at,
                    window.valid_until,
                    _text(display_name, "display name", MAX_DISPLAY_NAME_BYTES),
                    _text(platform_name, "platform name", MAX_PLATFORM_NAME_BYTES),
                ],
            )
        )

    def act_call(self, act: str, permit_hash: bytes, reason_code: int | None) -> str:
        """Calldata of ``suspend`` / ``revoke`` (with a reason code) or ``reinstate``."""
        if act == "reinstate":
            return str(self.permits.encode_abi("reinstate", [permit_hash]))
        return str(self.permits.encode_abi(act, [permit_hash, reason_code]))

    def permit(self, permit_hash: bytes, at: int = 0) -> PermitRecord:
        raw = self.gateway.call(
            "permit status",
            lambda w3: self._bound(w3, self.permits).functions.status_at(permit_hash, at).call(),
        )
        return PermitRecord.from_call(raw)

    def is_registrar(self, address: str) -> bool:
        return bool(
            self.gateway.call(
                "registrar role",
                lambda w3: (
                    self._bound(w3, self.permits)
                    .functions.is_registrar(Web3.to_checksum_address(address))
                    .call()
                ),
            )
        )

    def anchor_log(self, permit_hash: bytes) -> AnchorLog | None:
        """The anchoring event of ``permit_hash`` (found by its indexed hash), if any."""
        query = {
            "address": self.addresses.permit_registry,
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [self.anchored_topic, "0x" + permit_hash.hex()],
        }
        logs = self.gateway.call("anchoring event", lambda w3: w3.eth.get_logs(query))  # type: ignore[arg-type]
        if not logs:
            return None
        log = logs[0]
        topics = log["topics"]
        if len(topics) < 4:
            raise ChainError("a PermitAnchored event without its indexed registrar")
        return AnchorLog(
            tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
            block_number=int(log["blockNumber"]),
            block_hash=HexBytes(log["blockHash"]).to_0x_hex(),
            registrar=Web3.to_checksum_address(bytes(HexBytes(topics[3]))[-20:]),
        )

    @staticmethod
    def _bound(w3: Web3, contract: Contract) -> Contract:
        """The same contract on another node's client (failover)."""
        return w3.eth.contract(address=contract.address, abi=contract.abi)
