"""Fixtures for the registry contracts: a fresh eth-tester chain (py-evm backend) with both registries.

Deploying takes a fraction of a second, so every test gets its own chain and nothing leaks between
tests. The committed artifacts are what gets deployed (the artifact test proves they equal the sources).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from contracts.artifacts import load_artifact
from contracts.deploy import RegistryAddresses, deploy_registries
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import PermitWindow, window_for_issue
from contracts.registry_reader import IssuerRecord, PermitRecord, RegistryReader
from permitchain.rule_profile import RuleProfile

ISSUER_BIN = "940140000385"
OTHER_BIN = "990140004654"
REVERTED = (TransactionFailed, ContractLogicError)


@dataclass
class Registries:
    """Both contracts on one chain, and the accounts that play each role."""

    w3: Web3
    tester: EthereumTester
    addresses: RegistryAddresses
    permits: Contract
    issuers: Contract
    admin: ChecksumAddress
    registrar: ChecksumAddress
    outsider: ChecksumAddress
    spare: list[ChecksumAddress]
    profile: RuleProfile

    def window(self, issued_on: dt.date = dt.date(2025, 3, 1)) -> PermitWindow:
        return window_for_issue(issued_on, self.profile)

    def anchor(
        self,
        permit_hash: bytes,
        *,
        number: str = "KZ-DA-0001",
        issuer: str = ISSUER_BIN,
        issued_on: dt.date = dt.date(2025, 3, 1),
        display_name: str = "ТОО «Цифровые активы»",
        platform_name: str = "QazAsset Platform",
        sender: str | None = None,
    ) -> dict[str, Any]:
        w = self.window(issued_on)
        tx = self.permits.functions.anchor(
            permit_hash,
            number,
            encode_issuer_id(issuer),
            w.issued_at,
            w.valid_until,
            display_name,
            platform_name,
        ).transact({"from": sender or self.registrar})
        return dict(self.w3.eth.wait_for_transaction_receipt(tx))

    def transact(self, fn: Any, sender: str | None = None) -> dict[str, Any]:
        tx = fn.transact({"from": sender or self.registrar})
        return dict(self.w3.eth.wait_for_transaction_receipt(tx))

    def events(self, contract: Contract, name: str, receipt: dict[str, Any]) -> list[Any]:
        """Decoded events of one kind that ``contract`` itself emitted in ``receipt``."""
        own = {**receipt, "logs": [log for log in receipt["logs"] if log["address"] == contract.address]}
        return [e["args"] for e in contract.events[name]().process_receipt(own, errors=DISCARD)]

    @property
    def reader(self) -> RegistryReader:
        return RegistryReader(
            self.w3,
            permit_registry=self.addresses.permit_registry,
            issuer_registry=self.addresses.issuer_registry,
        )

    def permit(self, permit_hash: bytes, at: int) -> PermitRecord:
        return self.reader.permit_status(permit_hash, at)

    def issuer(self, issuer_id: str = ISSUER_BIN, at: int | None = None) -> IssuerRecord:
        return self.reader.issuer_status(issuer_id, self.now() if at is None else at)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def revert_reason(reason: str) -> Any:
    """``pytest.raises`` for a revert carrying exactly ``reason``."""
    return pytest.raises(REVERTED, match=f"execution reverted: {reason}$")


@pytest.fixture
def registries(rule_profile: RuleProfile) -> Iterator[Registries]:
    tester = EthereumTester(backend=PyEVMBackend())
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = list(w3.eth.accounts)
    admin, registrar, outsider, *spare = accounts
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar])
    yield Registries(
        w3=w3,
        tester=tester,
        addresses=addresses,
        permits=w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi),
        issuers=w3.eth.contract(address=addresses.issuer_registry, abi=load_artifact("IssuerRegistry").abi),
        admin=admin,
        registrar=registrar,
        outsider=outsider,
        spare=spare,
        profile=rule_profile,
    )
