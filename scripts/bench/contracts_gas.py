"""Gas used by each registry operation, measured on an in-process eth-tester chain (py-evm backend).

Run: .venv/bin/python scripts/bench/contracts_gas.py [--json]
Prints figures only; nothing is asserted. Gas is deterministic for the same inputs, so the numbers are
comparable between commits (the display name below is a typical Cyrillic company name).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any, cast

from eth_tester import EthereumTester, PyEVMBackend
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3

from contracts.artifacts import load_artifact
from contracts.deploy import deploy_registries
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import window_for_issue
from permitchain.rule_profile import default_profile

DISPLAY_NAME = "Товарищество с ограниченной ответственностью «Цифровые активы Казахстана»"
PLATFORM_NAME = "QazAsset Distributed Ledger Platform"


def measure() -> dict[str, int]:
    w3 = Web3(EthereumTesterProvider(EthereumTester(backend=PyEVMBackend())))
    admin, registrar = list(w3.eth.accounts)[:2]
    start = w3.eth.block_number
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar])
    steps = ("deploy PermitRegistry", "deploy IssuerRegistry", "link", "add_registrar")
    deploy_gas = {}
    for name, number in zip(steps, range(start + 1, start + 1 + len(steps)), strict=True):
        (tx_hash,) = w3.eth.get_block(number)["transactions"]
        deploy_gas[name] = int(w3.eth.get_transaction_receipt(cast(HexBytes, tx_hash))["gasUsed"])
    permits = w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi)
    issuers = w3.eth.contract(address=addresses.issuer_registry, abi=load_artifact("IssuerRegistry").abi)
    profile = default_profile()
    issuer = encode_issuer_id("940140000385")

    def gas(fn: Any) -> int:
        receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": registrar}))
        return int(receipt["gasUsed"])

    def anchor(seed: str, number: str, issued_on: dt.date) -> Any:
        w = window_for_issue(issued_on, profile)
        return permits.functions.anchor(
            Web3.keccak(text=seed), number, issuer, w.issued_at, w.valid_until, DISPLAY_NAME, PLATFORM_NAME
        )

    first, second = Web3.keccak(text="first"), Web3.keccak(text="second")
    figures = dict(deploy_gas)
    figures["anchor (new issuer)"] = gas(anchor("first", "KZ-DA-2025-000001", dt.date(2025, 3, 1)))
    figures["anchor (existing issuer)"] = gas(anchor("second", "KZ-DA-2026-000002", dt.date(2026, 5, 4)))
    figures["suspend"] = gas(permits.functions.suspend(second, 7))
    figures["reinstate"] = gas(permits.functions.reinstate(second))
    figures["revoke (current permit)"] = gas(permits.functions.revoke(second, 3))
    figures["revoke (superseded permit)"] = gas(permits.functions.revoke(first, 3))
    now = int(w3.eth.get_block("latest")["timestamp"])
    figures["status_at (estimate_gas)"] = int(permits.functions.status_at(second, now).estimate_gas())
    figures["status_by_number (estimate_gas)"] = int(
        permits.functions.status_by_number("KZ-DA-2026-000002", now).estimate_gas()
    )
    figures["issuer_status_at (estimate_gas)"] = int(
        issuers.functions.issuer_status_at(issuer, now).estimate_gas()
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    figures = measure()
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:>9,} gas")


if __name__ == "__main__":
    main()
