"""The whole write side on the shared five-validator QBFT devnet (``devnet5``): the platform check of a
real five-node platform passes, the head signs, the permit is anchored once through RPC failover, and
the report's hash travels with the permit.

Accounts 5 and 6 of the devnet are this module's (admin, registrar): other network tests start at 0
and the RPC conformance suite takes the last one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator

import pytest
from eth_account import Account
from sqlalchemy import select
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

from contracts.deploy import deploy_registries
from contracts.registry_reader import RegistryReader
from contracts.statuses import IssuerStatus, PermitStatus
from platform_checks.report import write_new_signing_key
from registry_api.chain.keystore import write_keystore
from registry_api.models.chain_tables import Anchor, PlatformCheckRecord
from registry_api.services import anchoring
from tests.node.network.cluster import rpc
from tests.registry_api.anchoring.conftest import PASSWORD, Request

pytestmark = [pytest.mark.slow, pytest.mark.network]
DEAD_URL = "http://127.0.0.1:9"


@pytest.fixture
def five(devnet5, tmp_path):
    w3 = Web3(HTTPProvider(devnet5.urls[0]))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    admin = Account.from_key(devnet5.account(5).private_key)
    registrar = Account.from_key(devnet5.account(6).private_key)
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar], gas_price=0)
    (tmp_path / "addresses.json").write_text(json.dumps(addresses.to_json()))
    write_keystore(tmp_path / "registrar.json", registrar.key, PASSWORD, iterations=1024)
    (tmp_path / "registrar.password").write_text(PASSWORD)
    write_new_signing_key(tmp_path / "check.key")
    settings = {
        "chain_rpc_urls": [DEAD_URL, *devnet5.urls],
        "chain_addresses_file": tmp_path / "addresses.json",
        "registrar_keystore_file": tmp_path / "registrar.json",
        "registrar_password_file": tmp_path / "registrar.password",
        "chain_rpc_timeout_seconds": 2.0,
        "chain_confirmation_timeout_seconds": 30.0,
        "require_platform_check": True,
        "platform_check_key_file": tmp_path / "check.key",
        "platform_check_allow_private": True,
        "platform_check_liveness_window_seconds": 10.0,
    }
    reader = RegistryReader(
        w3, permit_registry=addresses.permit_registry, issuer_registry=addresses.issuer_registry
    )
    return devnet5, settings, reader, registrar, w3


@contextlib.contextmanager
def traffic(devnet5, account_index: int = 4) -> Iterator[None]:
    """Transfers every ~0.3 s while the probe runs: this devnet seals blocks only with transactions
    (see platform_checks/README.md, liveness), as a busy platform would."""
    w3 = Web3(HTTPProvider(devnet5.urls[1]))
    sender = Account.from_key(devnet5.account(account_index).private_key)
    stop = threading.Event()

    def run() -> None:
        nonce = int(w3.eth.get_transaction_count(sender.address, "pending"))
        while not stop.is_set():
            tx = {
                "to": sender.address,
                "value": 0,
                "gas": 21000,
                "gasPrice": 0,
                "nonce": nonce,
                "chainId": devnet5.chain_id,
            }
            w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
            nonce += 1
            stop.wait(0.3)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def test_a_five_node_platform_passes_and_its_permit_is_anchored_once(make_client, pki, clock, five) -> None:
    devnet5, chain_settings, reader, registrar, w3 = five
    client, settings = make_client(pki=pki, **chain_settings)
    request = Request(client, settings, pki, clock, endpoints=devnet5.urls)
    request.to_signature()

    with traffic(devnet5):
        check = request.step("officer", "platform-check")
    assert check["verdict"] == "pass", check["reasons"]

    # A pass admits signing only while fresh, and only as the regulator's key signed it.
    checked_at = clock.now
    clock.now = checked_at + dt.timedelta(seconds=settings.platform_check_max_age_seconds + 1)
    stale = request.post("head", "sign")
    assert stale.status_code == 409 and stale.json()["code"] == "platform_check_stale"
    clock.now = checked_at + dt.timedelta(minutes=10)
    sessions = client.app.state.sessions
    with sessions() as session:
        record = session.scalars(select(PlatformCheckRecord)).one()
        genuine = record.report
        record.report = {**genuine, "body": {**genuine["body"], "min_nodes": 1}}  # edited after signing
        session.commit()
    edited = request.post("head", "sign")
    assert edited.status_code == 409 and edited.json()["code"] == "platform_check_report_invalid"
    with sessions() as session:
        record = session.scalars(select(PlatformCheckRecord)).one()
        record.report = genuine
        session.commit()
    number = request.sign()

    sent_before = w3.eth.get_transaction_count(registrar.address)
    chain = client.app.state.chain
    result = anchoring.anchor_due(
        sessions, chain=chain, profile=settings.profile, now=clock.now, base_seconds=1.0, cap_seconds=1.0
    )
    assert result.anchored == 1
    again = anchoring.anchor_due(
        sessions, chain=chain, profile=settings.profile, now=clock.now, base_seconds=1.0, cap_seconds=1.0
    )
    assert again.anchored == 0
    assert w3.eth.get_transaction_count(registrar.address) == sent_before + 1

    with sessions() as session:
        anchor = session.scalars(select(Anchor).where(Anchor.permit_number == number)).one()
    assert anchor.platform_report_hash == check["content_hash"]
    # Final on every validator: the same block hash at the anchoring height everywhere.
    for url in devnet5.urls:
        block = rpc(url, "eth_getBlockByNumber", [hex(anchor.block_number), False])
        assert block["hash"] == anchor.block_hash
    at = int(time.time())
    assert reader.permit_status(bytes.fromhex(anchor.permit_hash), at).status is PermitStatus.VALID
    assert reader.issuer_status(pki.entity_bin, at).status is IssuerStatus.ACTIVE
