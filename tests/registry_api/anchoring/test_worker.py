"""The service's background worker anchors a signed permit exactly once (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import select

from contracts.statuses import IssuerStatus, PermitStatus
from registry_api.chain.connection import connect
from registry_api.models.tables import Document
from tests.registry_api.anchoring.conftest import Request, anchor_pass, wait_for_anchor

pytestmark = [pytest.mark.slow, pytest.mark.network]
DEAD_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


def test_the_worker_anchors_a_signed_permit_exactly_once(make_client, pki, clock, deployment) -> None:
    client, settings = make_client(pki=pki, **deployment.chain_settings(), anchor_interval_seconds=0.2)
    request = Request(client, settings, pki, clock)
    request.to_signature()
    sent_before = deployment.tx_count()
    with client:  # the lifespan starts the anchoring worker
        number = request.sign()
        anchor = wait_for_anchor(client.app.state.sessions, number)
        time.sleep(1.0)  # more worker passes run meanwhile; none may send again
    assert deployment.tx_count() == sent_before + 1

    sessions = client.app.state.sessions
    with sessions() as session:
        document = session.scalars(select(Document).where(Document.number == number)).one()
        stored = document.canonical_json.encode()
    # The hash on chain is the SHA-256 of the signed canonical document as stored.
    assert anchor.permit_hash == hashlib.sha256(stored).hexdigest() == document.sha256
    receipt = deployment.devnet.w3.eth.get_transaction_receipt(anchor.tx_hash)
    assert receipt["blockNumber"] == anchor.block_number
    assert receipt["blockHash"].to_0x_hex() == anchor.block_hash
    assert anchor.registrar == deployment.registrar.address

    reader = deployment.reader()
    at = int(time.time())
    record = reader.permit_status(bytes.fromhex(anchor.permit_hash), at)
    assert record.status is PermitStatus.VALID and record.permit_number == number
    issuer = reader.issuer_status(pki.entity_bin, at)  # R-REGY-1: entered with the permit
    assert issuer.status is IssuerStatus.ACTIVE and issuer.permit_hash.hex() == anchor.permit_hash

    # A new worker (a restart) finds nothing to do and sends nothing.
    chain = connect(settings)
    assert anchor_pass(sessions, chain, settings, clock.now).anchored == 0
    assert deployment.tx_count() == sent_before + 1

    view = client.get(f"/v1/regulator/permits/{number}", headers=request.headers("auditor")).json()
    assert view["status"] == "valid" and view["anchoring"]["state"] == "anchored"
    assert view["anchoring"]["tx_hash"] == anchor.tx_hash
