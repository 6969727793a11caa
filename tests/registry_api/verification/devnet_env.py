"""A real single-node devnet with both registries deployed, the dev PKI issued today, and helpers that
make, sign and anchor permits the way the service does (canonical JSON, the head's detached CMS).

Shared by the verification and public API tests (one node per session: starting it is the slow part).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import rfc8785
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from contracts.deploy import RegistryAddresses, deploy_registries
from contracts.permit_dates import window_for_issue
from contracts.registry_writer import RegistryWriter, WriteResult
from contracts.transactions import TransactionSender
from kz_eds import DevPki, TrustStore, generate_dev_pki, sign_cms
from kz_eds.certificates import load_certificate
from kz_eds.identifiers import make_bin
from kz_eds.issuance import issue_crl
from kz_eds.key_containers import read_key_files
from node.devnet import network
from permitchain.rule_profile import RuleProfile, default_profile
from registry_api.verification.signature_check import SignaturePolicy
from registry_api.verification.web3_view import Web3RegistryView, connect

ALGORITHM = "RSA-SHA256"
ASTANA = ZoneInfo("Asia/Almaty")
_serial = itertools.count(1)


@dataclass(frozen=True)
class Permit:
    number: str
    issuer_id: str
    document: bytes
    signature: bytes
    issued_on: dt.date
    anchor: WriteResult | None

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.document).digest()


@dataclass
class ChainEnv:
    directory: Path
    rpc_url: str
    w3: Web3
    addresses: RegistryAddresses
    writer: RegistryWriter
    registrar: LocalAccount
    pki: DevPki
    profile: RuleProfile
    admin: LocalAccount | None = None
    spare: LocalAccount | None = None  # an allow-listed account that is not (yet) a registrar
    _permits: list[Permit] = field(default_factory=list)

    @property
    def regulator_bin(self) -> str:
        return str(self.pki.manifest["regulator"]["bin"])  # type: ignore[index]

    def trust(self) -> TrustStore:
        return self.pki.trust_store(algorithms=[ALGORITHM])

    def policy(self, trust: TrustStore | None = None) -> SignaturePolicy:
        return SignaturePolicy(trust=trust or self.trust(), regulator_bin=self.regulator_bin)

    def view(self, head_ttl_seconds: float = 0.0) -> Web3RegistryView:
        return Web3RegistryView(
            self.w3,
            permit_registry=self.addresses.permit_registry,
            issuer_registry=self.addresses.issuer_registry,
            head_ttl_seconds=head_ttl_seconds,
        )

    def contracts_file(self) -> Path:
        path = self.directory / "contracts.json"
        if not path.exists():
            path.write_text(json.dumps(self.addresses.to_json()), encoding="utf-8")
        return path

    def new_issuer(self) -> str:
        return make_bin(dt.date(2020, 1, 1), serial=10_000 + next(_serial))

    def make_permit(
        self,
        *,
        issuer_id: str | None = None,
        issued_on: dt.date | None = None,
        signer_role: str = "regulator_head",
        signing_time: dt.datetime | None = None,
        anchor: bool = True,
        platform: str = "Platform",
        writer: RegistryWriter | None = None,
    ) -> Permit:
        """A permit document as the service issues it, signed, and (by default) anchored on chain."""
        issuer_id = issuer_id or self.new_issuer()
        now = dt.datetime.now(dt.UTC)
        issued_on = issued_on or now.astimezone(ASTANA).date()
        number = f"P-TEST-{now.strftime('%H%M%S')}-{next(_serial)}"
        doc: dict[str, Any] = {
            "type": "permit",
            "number": number,
            "date": issued_on.isoformat(),
            "recipient": {"name": f"ТОО «Эмитент {issuer_id}»", "iin_bin": issuer_id},
            "platform_name": platform,
            "validity": {
                "valid_from": issued_on.isoformat(),
                "valid_until": self.profile.permit_valid_until(issued_on).isoformat(),
            },
        }
        data = rfc8785.dumps(doc)
        signature = sign_cms(
            data, self.pki.signer(ALGORITHM, signer_role), signing_time=signing_time or now, detached=True
        )
        result = None
        if anchor:
            result = (writer or self.writer).anchor(
                permit_hash=hashlib.sha256(data).digest(),
                permit_number=number,
                issuer_id=issuer_id,
                window=window_for_issue(issued_on, self.profile),
                display_name=f"ТОО «Эмитент {issuer_id}»",
                platform_name=platform,
            )
        permit = Permit(number, issuer_id, data, signature, issued_on, result)
        self._permits.append(permit)
        return permit

    def block_time(self, write: WriteResult) -> dt.datetime:
        block = self.w3.eth.get_block(write.block_number)
        return dt.datetime.fromtimestamp(int(block["timestamp"]), tz=dt.UTC)

    def set_registrar(self, account: LocalAccount, *, appointed: bool) -> None:
        """The admin appoints or removes a registrar (a registrar account's rotation)."""
        if self.admin is None:
            raise RuntimeError("this environment has no admin key")
        sender = TransactionSender(self.w3, self.admin, receipt_timeout_s=30)
        function = "add_registrar" if appointed else "remove_registrar"
        data = self.writer.permits.encode_abi(function, [account.address])
        sender.send({"to": self.addresses.permit_registry, "data": data}, function)

    def writer_for(self, account: LocalAccount) -> RegistryWriter:
        return RegistryWriter(
            self.w3,
            permit_registry=self.addresses.permit_registry,
            issuer_registry=self.addresses.issuer_registry,
            registrar=account,
            receipt_timeout_s=30,
        )

    def trust_with_head_revoked(self, revoked_at: dt.datetime) -> TrustStore:
        """The trust store after the CA revoked the regulator head's certificate at ``revoked_at``."""
        section = self.pki.manifest["algorithms"][ALGORITHM]  # type: ignore[index]
        ca = read_key_files(self.pki.path(section["ca_key"]), self.pki.path(section["ca"]), None)
        head = load_certificate(
            self.pki.path(self.pki.identity(ALGORITHM, "regulator_head")["certificate"]).read_bytes()
        )
        now = dt.datetime.now(dt.UTC)
        crl = issue_crl(
            issuer=ca.certificate,
            issuer_key=ca.key,
            revoked=[(head.serial_number, revoked_at)],
            this_update=now - dt.timedelta(minutes=1),
            next_update=now + dt.timedelta(days=1),
            number=2,
        )
        path = self.directory / f"ca-revoked-{next(_serial)}.crl"
        path.write_bytes(crl.dump())
        return TrustStore.from_files(
            self.pki.root_paths([ALGORITHM]),
            intermediates=[self.pki.path(section["ca"])],
            crls=[path, self.pki.path(section["root_crl"])],
        )


def chain_env_on(
    directory: Path, rpc_url: str, *, admin_key: str, registrar_key: str, spare_key: str | None = None
) -> ChainEnv:
    """Deploy the registries on a running chain through ``rpc_url`` and issue a dev PKI for today."""
    w3 = connect(rpc_url, timeout_seconds=30)
    admin: LocalAccount = Account.from_key(admin_key)
    registrar: LocalAccount = Account.from_key(registrar_key)
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar], receipt_timeout_s=30)
    writer = RegistryWriter(
        w3,
        permit_registry=addresses.permit_registry,
        issuer_registry=addresses.issuer_registry,
        registrar=registrar,
        receipt_timeout_s=30,
    )
    pki = generate_dev_pki(directory / "pki", now=dt.datetime.now(dt.UTC), algorithms=[ALGORITHM])
    spare: LocalAccount | None = Account.from_key(spare_key) if spare_key else None
    return ChainEnv(
        directory, rpc_url, w3, addresses, writer, registrar, pki, default_profile(), admin=admin, spare=spare
    )


def start_chain_env(directory: Path) -> Generator[ChainEnv, None, None]:
    """Start a one-node devnet, deploy the registries, yield the environment, stop the node."""
    description = network.up(directory / "devnet", nodes=1, dev_accounts=3)
    try:
        accounts = description["accounts"]
        yield chain_env_on(
            directory,
            description["rpc"][0],
            admin_key=accounts[0]["private_key"],
            registrar_key=accounts[1]["private_key"],
            spare_key=accounts[2]["private_key"],
        )
    finally:
        network.down(directory / "devnet")
