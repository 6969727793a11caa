"""Fixtures of the anchoring tests: a real one-node devnet (node process, JSON-RPC), a fresh deployment
of the registries per test, the registrar's encrypted keystore, and a request driven to the head's
signature over HTTP.

The devnet is session-scoped (one node process for all these tests, stopped with ``devnet down``);
each test deploys its own contracts so permit numbers never collide between tests.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from web3 import HTTPProvider, Web3

from contracts.deploy import RegistryAddresses, deploy_registries
from contracts.registry_reader import RegistryReader
from node.devnet.network import down, up
from registry_api.chain.connection import ChainPorts, connect
from registry_api.chain.keystore import write_keystore
from registry_api.models.chain_tables import Anchor
from registry_api.services import anchoring
from registry_api.services.auth import Principal
from registry_api.services.workflow import Role
from tests.registry_api.conftest import bearer
from tests.registry_api.submissions import form_for, submission

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Devnet:
    directory: Path
    rpc: list[str]
    accounts: list[LocalAccount]

    @property
    def w3(self) -> Web3:
        return Web3(HTTPProvider(self.rpc[0]))


@pytest.fixture(scope="session")
def devnet(tmp_path_factory) -> Any:
    directory = tmp_path_factory.mktemp("devnet") / "net"
    description = up(directory, nodes=1)
    try:
        accounts = [Account.from_key(a["private_key"]) for a in description["accounts"]]
        yield Devnet(directory, list(description["rpc"]), accounts)
    finally:
        down(directory)


@dataclass(frozen=True)
class Deployment:
    devnet: Devnet
    addresses: RegistryAddresses
    addresses_file: Path
    keystore: Path
    password_file: Path
    admin: LocalAccount
    registrar: LocalAccount

    def reader(self) -> RegistryReader:
        return RegistryReader(
            self.devnet.w3,
            permit_registry=self.addresses.permit_registry,
            issuer_registry=self.addresses.issuer_registry,
        )

    def chain_settings(self, rpc: list[str] | None = None) -> dict[str, object]:
        return {
            "chain_rpc_urls": rpc or self.devnet.rpc,
            "chain_addresses_file": self.addresses_file,
            "registrar_keystore_file": self.keystore,
            "registrar_password_file": self.password_file,
            "chain_confirmation_timeout_seconds": 30.0,
            "chain_rpc_timeout_seconds": 2.0,
        }

    def tx_count(self, account: LocalAccount | None = None) -> int:
        return int(self.devnet.w3.eth.get_transaction_count((account or self.registrar).address, "latest"))


@pytest.fixture
def deployment(devnet, tmp_path) -> Deployment:
    admin, registrar = devnet.accounts[0], devnet.accounts[1]
    addresses = deploy_registries(devnet.w3, admin=admin, registrars=[registrar], gas_price=0)
    addresses_file = tmp_path / "addresses.json"
    addresses_file.write_text(json.dumps(addresses.to_json()))
    keystore = tmp_path / "registrar.json"
    write_keystore(keystore, registrar.key, PASSWORD, iterations=1024)
    password_file = tmp_path / "registrar.password"
    password_file.write_text(PASSWORD + "\n")
    return Deployment(devnet, addresses, addresses_file, keystore, password_file, admin, registrar)


def ports(settings, **kwargs) -> ChainPorts:
    return connect(settings, **kwargs)


class Request:
    """One service request driven over HTTP up to (and including) the head's signature."""

    def __init__(
        self, client, settings, pki, clock, *, endpoints: list[str] | None = None, **form_fields: Any
    ) -> None:
        self.client, self.settings, self.pki, self.clock = client, settings, pki, clock
        self.signer = pki.signing("legal_first_head")
        self.applicant = Principal(iin=self.signer.iin, bin=pki.entity_bin, role=Role.APPLICANT)
        form = {**form_for(pki.entity_bin, legal_entity=True), **form_fields}
        body = submission(
            self.signer, applicant_id=pki.entity_bin, legal_entity=True, at=clock.now, form=form
        )
        if endpoints is not None:
            body["attachments"][1]["node_endpoints"] = endpoints
        response = client.post("/v1/applications", json=body, headers=self.headers("applicant"))
        assert response.status_code == 201, response.json()
        self.number: str = response.json()["number"]

    def headers(self, who: str) -> dict[str, str]:
        if who == "applicant":
            return bearer(self.settings, self.applicant, self.clock.now)
        ident = self.pki.staff(who)
        return bearer(self.settings, Principal(iin=ident.iin, bin=ident.bin, role=Role(who)), self.clock.now)

    def post(self, who: str, path: str, body: dict[str, Any] | None = None):
        return self.client.post(
            f"/v1/regulator/requests/{self.number}/{path}", json=body or {}, headers=self.headers(who)
        )

    def step(self, who: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(who, path, body)
        assert response.status_code == 200, response.json()
        answer: dict[str, Any] = response.json()
        return answer

    def to_signature(self) -> None:
        self.step("officer", "register")
        self.step("officer", "completeness", {"complete": True})
        self.step("officer", "approve")

    def sign(self) -> str:
        """Sign the permit; return its document number."""
        signed = self.step("head", "sign")
        assert signed["status"] == "permit_issued"
        [doc] = signed["documents"]
        return str(doc["number"])


def wait_for_anchor(sessions, permit_number: str, *, timeout: float = 30.0) -> Anchor:
    """Wait for the app's background worker (a real thread against a real node) to anchor a permit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            anchor: Anchor | None = session.scalars(
                select(Anchor).where(Anchor.permit_number == permit_number)
            ).first()
            if anchor is not None and anchor.state == "anchored":
                return anchor
        time.sleep(0.1)
    raise AssertionError(f"permit {permit_number} was not anchored within {timeout} s")


def anchor_row(sessions, permit_number: str) -> Anchor:
    """The permit's anchor row as it is now."""
    with sessions() as session:
        anchor: Anchor = session.scalars(select(Anchor).where(Anchor.permit_number == permit_number)).one()
        return anchor


def anchor_pass(sessions, chain, settings, now):
    """One anchoring pass against ``chain`` with the backoffs the flow tests reason about (2 s, cap 60 s)."""
    return anchoring.anchor_due(
        sessions, chain=chain, profile=settings.profile, now=now, base_seconds=2.0, cap_seconds=60.0
    )


def anchor_all(client, settings, now, chain=None):
    """Run one anchoring pass of the service's worker, with short backoffs, as the lifespan would."""
    return anchoring.anchor_due(
        client.app.state.sessions,
        chain=chain or client.app.state.chain,
        profile=settings.profile,
        now=now,
        base_seconds=1.0,
        cap_seconds=1.0,
    )


def act(request, who: str, number: str, action: str, body=None):
    """POST a status act (suspend, reinstate, revoke) on a permit as ``who``."""
    return request.client.post(
        f"/v1/regulator/permits/{number}/{action}", json=body or {}, headers=request.headers(who)
    )
