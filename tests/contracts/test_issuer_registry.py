"""IssuerRegistry: entered with every permit (R-REGY-1), follows its current permit, direct acts, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from web3 import Web3

from contracts.issuer_ids import decode_issuer_id, encode_issuer_id
from contracts.statuses import IssuerStatus, IssuerStatusCause, PermitStatus

from .conftest import ISSUER_BIN, Registries, revert_reason

FIRST = Web3.keccak(text="permit one")
SECOND = Web3.keccak(text="permit two")
REASON = 4


def _block_time(r: Registries, receipt: dict[str, Any]) -> int:
    return int(r.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def test_anchoring_enters_the_issuer_in_the_same_transaction(registries: Registries):
    assert registries.issuer().status is IssuerStatus.NOT_FOUND
    receipt = registries.anchor(FIRST, display_name="ТОО «Альфа»", platform_name="Alpha DLT")
    at = _block_time(registries, receipt)
    w = registries.window()
    record = registries.issuer()
    assert record.status is IssuerStatus.ACTIVE
    assert record.issuer_id == ISSUER_BIN
    assert (record.display_name, record.platform_name) == ("ТОО «Альфа»", "Alpha DLT")
    assert record.permit_hash == FIRST
    assert (record.registered_at, record.updated_at, record.valid_until, record.reason) == (
        at,
        at,
        w.valid_until,
        0,
    )
    (event,) = registries.events(registries.issuers, "IssuerRegistered", receipt)
    assert dict(event) == {
        "issuer_id": encode_issuer_id(ISSUER_BIN),
        "permit_hash": FIRST,
        "status": IssuerStatus.ACTIVE,
        "display_name": "ТОО «Альфа»",
        "platform_name": "Alpha DLT",
        "valid_until": w.valid_until,
        "registrar": registries.registrar,
        "at": at,
    }
    assert registries.events(registries.issuers, "IssuerUpdated", receipt) == []


def test_a_new_permit_updates_the_entry(registries: Registries):
    first = registries.anchor(FIRST, number="KZ-1", issued_on=dt.date(2025, 3, 1))
    registered_at = _block_time(registries, first)
    second = registries.anchor(
        SECOND,
        number="KZ-2",
        issued_on=dt.date(2026, 5, 4),
        display_name="ТОО «Альфа-2»",
        platform_name="Alpha 2",
    )
    record = registries.issuer()
    new_window = registries.window(dt.date(2026, 5, 4))
    assert (record.permit_hash, record.valid_until) == (SECOND, new_window.valid_until)
    assert (record.display_name, record.platform_name) == ("ТОО «Альфа-2»", "Alpha 2")
    assert record.registered_at == registered_at
    assert record.updated_at == _block_time(registries, second)
    (event,) = registries.events(registries.issuers, "IssuerUpdated", second)
    assert (event["permit_hash"], event["status"], event["valid_until"]) == (
        SECOND,
        IssuerStatus.ACTIVE,
        new_window.valid_until,
    )
    assert registries.events(registries.issuers, "IssuerRegistered", second) == []


def test_expired_is_derived_from_the_current_permit(registries: Registries):
    registries.anchor(FIRST)
    w = registries.window()
    assert registries.issuer(at=w.valid_until - 1).status is IssuerStatus.ACTIVE
    assert registries.issuer(at=w.valid_until).status is IssuerStatus.EXPIRED
    registries.transact(registries.permits.functions.suspend(FIRST, REASON))
    assert registries.issuer(at=w.valid_until).status is IssuerStatus.SUSPENDED


@pytest.mark.parametrize(
    ("act", "permit_status", "issuer_status"),
    [
        (("revoke", REASON), PermitStatus.REVOKED, IssuerStatus.REVOKED),
        (("suspend", REASON), PermitStatus.SUSPENDED, IssuerStatus.SUSPENDED),
    ],
)
def test_acts_on_the_current_permit_reflect_on_the_issuer(
    registries: Registries, act: tuple[Any, ...], permit_status: PermitStatus, issuer_status: IssuerStatus
):
    registries.anchor(FIRST)
    name, reason = act
    receipt = registries.transact(registries.permits.functions[name](FIRST, reason))
    at = _block_time(registries, receipt)
    assert registries.permit(FIRST, at).status is permit_status
    record = registries.issuer(at=at)
    assert (record.status, record.reason, record.updated_at) == (issuer_status, reason, at)
    (event,) = registries.events(registries.issuers, "IssuerStatusChanged", receipt)
    assert dict(event) == {
        "issuer_id": encode_issuer_id(ISSUER_BIN),
        "permit_hash": FIRST,
        "status": issuer_status,
        "reason": reason,
        "cause": IssuerStatusCause.PERMIT,
        "registrar": registries.registrar,
        "at": at,
    }


def test_reinstating_the_permit_reinstates_the_issuer(registries: Registries):
    registries.anchor(FIRST)
    registries.transact(registries.permits.functions.suspend(FIRST, REASON))
    receipt = registries.transact(registries.permits.functions.reinstate(FIRST))
    assert registries.issuer().status is IssuerStatus.ACTIVE
    assert registries.issuer().reason == 0
    (event,) = registries.events(registries.issuers, "IssuerStatusChanged", receipt)
    assert (event["status"], event["cause"]) == (IssuerStatus.ACTIVE, IssuerStatusCause.PERMIT)


def test_acts_on_a_superseded_permit_leave_the_issuer_alone(registries: Registries):
    registries.anchor(FIRST, number="KZ-1")
    registries.anchor(SECOND, number="KZ-2", issued_on=dt.date(2026, 5, 4))
    before = registries.issuer()
    receipt = registries.transact(registries.permits.functions.revoke(FIRST, REASON))
    assert registries.permit(FIRST, registries.now()).status is PermitStatus.REVOKED
    assert registries.issuer() == before
    assert registries.events(registries.issuers, "IssuerStatusChanged", receipt) == []


def test_a_revoked_issuer_returns_only_with_a_new_permit(registries: Registries):
    registries.anchor(FIRST, number="KZ-1")
    issuer = encode_issuer_id(ISSUER_BIN)
    registries.transact(registries.permits.functions.suspend(FIRST, REASON))
    registries.transact(registries.issuers.functions.revoke_issuer(issuer, REASON + 1))
    receipt = registries.transact(registries.permits.functions.reinstate(FIRST))
    assert registries.permit(FIRST, registries.now()).status is PermitStatus.VALID
    assert registries.issuer().status is IssuerStatus.REVOKED
    assert registries.events(registries.issuers, "IssuerStatusChanged", receipt) == []
    registries.anchor(SECOND, number="KZ-2", issued_on=dt.date(2026, 5, 4))
    assert registries.issuer().status is IssuerStatus.ACTIVE


def test_direct_acts_on_the_issuer(registries: Registries):
    registries.anchor(FIRST)
    issuer = encode_issuer_id(ISSUER_BIN)
    functions = registries.issuers.functions
    expected = [
        (functions.suspend_issuer(issuer, REASON), IssuerStatus.SUSPENDED, REASON),
        (functions.reinstate_issuer(issuer), IssuerStatus.ACTIVE, 0),
        (functions.revoke_issuer(issuer, REASON + 1), IssuerStatus.REVOKED, REASON + 1),
    ]
    for call, status, reason in expected:
        receipt = registries.transact(call)
        at = _block_time(registries, receipt)
        record = registries.issuer(at=at)
        assert (record.status, record.reason, record.updated_at) == (status, reason, at)
        (event,) = registries.events(registries.issuers, "IssuerStatusChanged", receipt)
        assert (event["status"], event["reason"], event["cause"], event["registrar"], event["at"]) == (
            status,
            reason,
            IssuerStatusCause.DIRECT,
            registries.registrar,
            at,
        )
    # A direct act on the issuer does not touch its permit.
    assert registries.permit(FIRST, registries.now()).status is PermitStatus.VALID


@pytest.mark.parametrize(
    ("setup", "call", "reason"),
    [
        ([], ("suspend_issuer", "990140004654", 1), "unknown issuer"),
        ([], ("revoke_issuer", "990140004654", 1), "unknown issuer"),
        ([], ("reinstate_issuer", "990140004654"), "unknown issuer"),
        ([], ("suspend_issuer", ISSUER_BIN, 0), "reason code required"),
        ([], ("revoke_issuer", ISSUER_BIN, 0), "reason code required"),
        ([], ("reinstate_issuer", ISSUER_BIN), "issuer not suspended"),
        ([("suspend_issuer", 1)], ("suspend_issuer", ISSUER_BIN, 2), "issuer already suspended"),
        ([("revoke_issuer", 1)], ("revoke_issuer", ISSUER_BIN, 2), "issuer already revoked"),
        ([("revoke_issuer", 1)], ("suspend_issuer", ISSUER_BIN, 2), "issuer revoked"),
        ([("revoke_issuer", 1)], ("reinstate_issuer", ISSUER_BIN), "issuer revoked"),
    ],
)
def test_bad_issuer_acts_revert_and_change_nothing(
    registries: Registries, setup: list[tuple[Any, ...]], call: tuple[Any, ...], reason: str
):
    registries.anchor(FIRST)
    issuer = encode_issuer_id(ISSUER_BIN)
    for name, *args in setup:
        registries.transact(registries.issuers.functions[name](issuer, *args))
    before = registries.issuer()
    name, target, *args = call
    with revert_reason(reason):
        registries.issuers.functions[name](encode_issuer_id(target), *args).transact(
            {"from": registries.registrar}
        )
    assert registries.issuer() == before


def test_history_can_be_rebuilt_from_events_alone(registries: Registries):
    """Every issuer event carries the new status and the time, filterable by the issuer's topic."""
    issuer = encode_issuer_id(ISSUER_BIN)
    registries.anchor(FIRST, number="KZ-1")
    registries.anchor(Web3.keccak(text="other issuer"), number="KZ-9", issuer="990140004654")
    registries.transact(registries.permits.functions.suspend(FIRST, REASON))
    registries.transact(registries.permits.functions.reinstate(FIRST))
    registries.transact(registries.issuers.functions.suspend_issuer(issuer, REASON + 1))
    registries.transact(registries.permits.functions.revoke(FIRST, REASON + 2))
    registries.anchor(SECOND, number="KZ-2", issued_on=dt.date(2026, 5, 4))

    history = []
    for name in ("IssuerRegistered", "IssuerUpdated", "IssuerStatusChanged"):
        for log in registries.issuers.events[name].get_logs(
            from_block=0, argument_filters={"issuer_id": issuer}
        ):
            history.append((log["blockNumber"], log["logIndex"], name, log["args"]))
    history.sort(key=lambda item: (item[0], item[1]))
    assert [(name, args["status"]) for _, _, name, args in history] == [
        ("IssuerRegistered", IssuerStatus.ACTIVE),
        ("IssuerStatusChanged", IssuerStatus.SUSPENDED),
        ("IssuerStatusChanged", IssuerStatus.ACTIVE),
        ("IssuerStatusChanged", IssuerStatus.SUSPENDED),
        ("IssuerStatusChanged", IssuerStatus.REVOKED),
        ("IssuerUpdated", IssuerStatus.ACTIVE),
    ]
    assert all(decode_issuer_id(args["issuer_id"]) == ISSUER_BIN for _, _, _, args in history)
    times = [args["at"] for _, _, _, args in history]
    assert times == sorted(times) and times[-1] == registries.issuer().updated_at
