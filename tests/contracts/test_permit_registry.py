"""PermitRegistry: anchoring, the one-call status view over time, suspend / reinstate / revoke, events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from web3 import Web3

from contracts.artifacts import load_artifact
from contracts.issuer_ids import encode_issuer_id
from contracts.permit_dates import start_of_day
from contracts.statuses import PermitStatus

from .conftest import ISSUER_BIN, OTHER_BIN, Registries, revert_reason

HASH = Web3.keccak(text="signed permit KZ-DA-0001")
OTHER_HASH = Web3.keccak(text="signed permit KZ-DA-0002")
REASON_COURT_DECISION = 3
REASON_INSPECTION = 7


def test_anchor_records_the_permit_and_emits_an_event(registries: Registries):
    receipt = registries.anchor(HASH, number="KZ-DA-0001")
    w = registries.window()
    (event,) = registries.events(registries.permits, "PermitAnchored", receipt)
    block_time = registries.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert event["permit_hash"] == HASH
    assert event["issuer_id"] == encode_issuer_id(ISSUER_BIN)
    assert event["registrar"] == registries.registrar
    assert event["permit_number"] == "KZ-DA-0001"
    assert (event["issued_at"], event["valid_until"], event["at"]) == (w.issued_at, w.valid_until, block_time)

    record = registries.permit(HASH, w.issued_at + 86_400)
    assert record.status is PermitStatus.VALID
    assert record.permit_hash == HASH
    assert record.permit_number == "KZ-DA-0001"
    assert record.issuer_id == ISSUER_BIN
    assert (record.issued_at, record.valid_until) == (w.issued_at, w.valid_until)
    assert record.anchored_at == block_time
    assert (record.changed_at, record.reason) == (0, 0)
    assert registries.permits.functions.hash_by_number("KZ-DA-0001").call() == HASH
    assert registries.reader.permit_status_by_number("KZ-DA-0001", w.issued_at) == registries.permit(
        HASH, w.issued_at
    )


def test_status_over_the_validity_window_in_almaty_dates(registries: Registries):
    """Issued 2025-03-01 for three years: valid through 2028-02-29 (a leap day), expired from 03-01."""
    registries.anchor(HASH, issued_on=dt.date(2025, 3, 1))
    tz = registries.profile.timezone
    first_second = start_of_day(dt.date(2025, 3, 1), tz)
    last_second = start_of_day(dt.date(2028, 3, 1), tz) - 1
    cases = {
        first_second - 1: PermitStatus.NOT_YET_VALID,
        first_second: PermitStatus.VALID,
        start_of_day(dt.date(2026, 7, 6), tz): PermitStatus.VALID,
        last_second: PermitStatus.VALID,
        last_second + 1: PermitStatus.EXPIRED,
        start_of_day(dt.date(2030, 1, 1), tz): PermitStatus.EXPIRED,
    }
    assert {at: registries.permit(HASH, at).status for at in cases} == cases


def test_unknown_permit_and_number_answer_not_found(registries: Registries):
    registries.anchor(HASH)
    record = registries.permit(OTHER_HASH, registries.now())
    assert record.status is PermitStatus.NOT_FOUND
    assert (record.permit_number, record.issuer_id, record.issued_at, record.permit_hash) == (
        "",
        None,
        0,
        bytes(32),
    )
    assert (
        registries.reader.permit_status_by_number("KZ-NOPE", registries.now()).status
        is PermitStatus.NOT_FOUND
    )
    assert registries.permits.functions.hash_by_number("KZ-NOPE").call() == bytes(32)


def _anchor_call(r: Registries, **change: Any):
    w = r.window()
    args = {
        "permit_hash": OTHER_HASH,
        "permit_number": "KZ-DA-0002",
        "issuer_id": encode_issuer_id(OTHER_BIN),
        "issued_at": w.issued_at,
        "valid_until": w.valid_until,
        "display_name": "АО «Токен»",
        "platform_name": "Token Platform",
    }
    args.update(change)
    return r.permits.functions.anchor(*args.values())


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"permit_hash": bytes(32)}, "zero permit hash"),
        ({"permit_hash": HASH}, "permit already anchored"),
        ({"permit_number": "KZ-DA-0001"}, "permit number taken"),
        ({"permit_number": ""}, "empty permit number"),
        ({"issuer_id": bytes(12)}, "empty issuer id"),
        ({"issuer_id": b"99014000465X"}, "issuer id must be 12 digits"),
        ({"issuer_id": b" 99014000465"}, "issuer id must be 12 digits"),
        ({"issued_at": 0}, "zero issue date"),
        ({"valid_until": 1_740_769_200, "issued_at": 1_740_769_200}, "valid_until not after issue date"),
        ({"valid_until": 1_740_769_199, "issued_at": 1_740_769_200}, "valid_until not after issue date"),
        ({"display_name": ""}, "empty display name"),
        ({"platform_name": ""}, "empty platform name"),
    ],
)
def test_bad_anchor_reverts_and_changes_nothing(registries: Registries, change: dict[str, Any], reason: str):
    """Issuer-side checks run after the permit is written: their revert must undo it (R-REGY-1)."""
    registries.anchor(HASH, number="KZ-DA-0001")
    now = registries.now()
    before = (registries.permit(HASH, now), registries.issuer(ISSUER_BIN, now))
    with revert_reason(reason):
        _anchor_call(registries, **change).transact({"from": registries.registrar})
    assert (registries.permit(HASH, now), registries.issuer(ISSUER_BIN, now)) == before
    if change.get("permit_hash") != HASH:
        assert registries.permit(OTHER_HASH, now).status is PermitStatus.NOT_FOUND
    assert registries.permits.functions.hash_by_number("KZ-DA-0002").call() == bytes(32)
    assert registries.issuer(OTHER_BIN, now).issuer_id is None


def test_anchor_refuses_until_the_issuer_registry_is_linked(registries: Registries):
    """Never a permit without its issuer entry: an unlinked PermitRegistry anchors nothing."""
    artifact = load_artifact("PermitRegistry")
    factory = registries.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor().transact({"from": registries.admin})
    address = registries.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    lone = registries.w3.eth.contract(address=address, abi=artifact.abi)
    registries.transact(lone.functions.add_registrar(registries.registrar), registries.admin)
    w = registries.window()
    issuer = encode_issuer_id(ISSUER_BIN)
    with revert_reason("issuer registry not linked"):
        lone.functions.anchor(HASH, "KZ-1", issuer, w.issued_at, w.valid_until, "A", "B").transact(
            {"from": registries.registrar}
        )
    assert lone.functions.status_at(HASH, w.issued_at).call()[0] == PermitStatus.NOT_FOUND


def test_suspend_then_reinstate(registries: Registries):
    registries.anchor(HASH)
    w = registries.window()
    receipt = registries.transact(registries.permits.functions.suspend(HASH, REASON_INSPECTION))
    suspended_at = registries.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = registries.events(registries.permits, "PermitSuspended", receipt)
    assert dict(event) == {
        "permit_hash": HASH,
        "issuer_id": encode_issuer_id(ISSUER_BIN),
        "registrar": registries.registrar,
        "reason": REASON_INSPECTION,
        "at": suspended_at,
    }
    record = registries.permit(HASH, suspended_at)
    assert (record.status, record.changed_at, record.reason) == (
        PermitStatus.SUSPENDED,
        suspended_at,
        REASON_INSPECTION,
    )
    # Asked about a moment before the suspension, the answer comes from the dates alone.
    assert registries.permit(HASH, suspended_at - 1).status is PermitStatus.VALID
    assert registries.permit(HASH, w.issued_at - 1).status is PermitStatus.NOT_YET_VALID
    assert registries.permit(HASH, w.valid_until + 10**6).status is PermitStatus.SUSPENDED

    with revert_reason("permit already suspended"):
        registries.permits.functions.suspend(HASH, REASON_INSPECTION).transact({"from": registries.registrar})

    receipt = registries.transact(registries.permits.functions.reinstate(HASH))
    reinstated_at = registries.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = registries.events(registries.permits, "PermitReinstated", receipt)
    assert (event["permit_hash"], event["registrar"], event["at"]) == (
        HASH,
        registries.registrar,
        reinstated_at,
    )
    record = registries.permit(HASH, reinstated_at)
    assert (record.status, record.changed_at, record.reason) == (PermitStatus.VALID, reinstated_at, 0)
    assert registries.permit(HASH, w.valid_until).status is PermitStatus.EXPIRED


def test_revoke(registries: Registries):
    registries.anchor(HASH)
    receipt = registries.transact(registries.permits.functions.revoke(HASH, REASON_COURT_DECISION))
    revoked_at = registries.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = registries.events(registries.permits, "PermitRevoked", receipt)
    assert (event["permit_hash"], event["issuer_id"], event["reason"], event["at"]) == (
        HASH,
        encode_issuer_id(ISSUER_BIN),
        REASON_COURT_DECISION,
        revoked_at,
    )
    record = registries.permit(HASH, revoked_at)
    assert (record.status, record.changed_at, record.reason) == (
        PermitStatus.REVOKED,
        revoked_at,
        REASON_COURT_DECISION,
    )
    assert registries.permit(HASH, revoked_at + 10**9).status is PermitStatus.REVOKED
    assert registries.permit(HASH, revoked_at - 1).status is PermitStatus.VALID


def test_a_suspended_permit_can_be_revoked(registries: Registries):
    registries.anchor(HASH)
    registries.transact(registries.permits.functions.suspend(HASH, REASON_INSPECTION))
    registries.transact(registries.permits.functions.revoke(HASH, REASON_COURT_DECISION))
    record = registries.permit(HASH, registries.now())
    assert (record.status, record.reason) == (PermitStatus.REVOKED, REASON_COURT_DECISION)


@pytest.mark.parametrize(
    ("setup", "call", "reason"),
    [
        ([], ("revoke", OTHER_HASH, 1), "unknown permit"),
        ([], ("suspend", OTHER_HASH, 1), "unknown permit"),
        ([], ("reinstate", OTHER_HASH), "unknown permit"),
        ([], ("revoke", HASH, 0), "reason code required"),
        ([], ("suspend", HASH, 0), "reason code required"),
        ([], ("reinstate", HASH), "permit not suspended"),
        ([("revoke", HASH, 1)], ("revoke", HASH, 2), "permit already revoked"),
        ([("revoke", HASH, 1)], ("suspend", HASH, 2), "permit revoked"),
        ([("revoke", HASH, 1)], ("reinstate", HASH), "permit revoked"),
        ([("suspend", HASH, 1), ("revoke", HASH, 2)], ("reinstate", HASH), "permit revoked"),
        ([("suspend", HASH, 1)], ("suspend", HASH, 2), "permit already suspended"),
    ],
)
def test_bad_permit_acts_revert_and_change_nothing(
    registries: Registries, setup: list[tuple[Any, ...]], call: tuple[Any, ...], reason: str
):
    registries.anchor(HASH)
    for name, *args in setup:
        registries.transact(registries.permits.functions[name](*args))
    now = registries.now()
    before = (registries.permit(HASH, now), registries.issuer(ISSUER_BIN, now))
    name, *args = call
    with revert_reason(reason):
        registries.permits.functions[name](*args).transact({"from": registries.registrar})
    assert (registries.permit(HASH, now), registries.issuer(ISSUER_BIN, now)) == before


def test_logs_filter_by_permit_hash_and_issuer_topics(registries: Registries):
    """eth_getLogs filters on the indexed permit hash and issuer id, as verifiers and the API will."""
    registries.anchor(HASH, number="KZ-DA-0001", issuer=ISSUER_BIN)
    registries.anchor(OTHER_HASH, number="KZ-DA-0002", issuer=OTHER_BIN)
    registries.transact(registries.permits.functions.revoke(OTHER_HASH, REASON_COURT_DECISION))
    anchored = registries.permits.events.PermitAnchored
    by_issuer = anchored.get_logs(from_block=0, argument_filters={"issuer_id": encode_issuer_id(OTHER_BIN)})
    assert [e["args"]["permit_number"] for e in by_issuer] == ["KZ-DA-0002"]
    by_hash = anchored.get_logs(from_block=0, argument_filters={"permit_hash": HASH})
    assert [e["args"]["permit_number"] for e in by_hash] == ["KZ-DA-0001"]

    # The same through raw eth_getLogs topics, as any client would do it.
    revoked_topic = Web3.keccak(text="PermitRevoked(bytes32,bytes12,address,uint16,uint64)").to_0x_hex()
    issuer_topic = "0x" + encode_issuer_id(OTHER_BIN).ljust(32, b"\0").hex()
    logs = registries.w3.eth.get_logs(
        {
            "fromBlock": 0,
            "address": registries.permits.address,
            "topics": [revoked_topic, None, issuer_topic],
        }
    )
    assert [bytes(log["topics"][1]) for log in logs] == [OTHER_HASH]
    none = registries.w3.eth.get_logs(
        {"fromBlock": 0, "address": registries.permits.address, "topics": [revoked_topic, HASH.to_0x_hex()]}
    )
    assert none == []
