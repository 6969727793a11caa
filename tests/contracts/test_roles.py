"""Roles: a two-step admin transfer, registrars appointed by the admin, every guarded function guarded."""

from __future__ import annotations

import pytest

from contracts.issuer_ids import encode_issuer_id

from .conftest import ISSUER_BIN, Registries, revert_reason

ZERO = "0x" + "00" * 20
HASH = b"\x11" * 32


def test_deployer_is_admin_and_nobody_is_pending(registries: Registries):
    permits = registries.permits
    assert permits.functions.admin().call() == registries.admin
    assert permits.functions.pending_admin().call() == ZERO


def test_two_step_admin_transfer(registries: Registries):
    permits, old, new = registries.permits, registries.admin, registries.spare[0]
    receipt = registries.transact(permits.functions.transfer_admin(new), old)
    (started,) = registries.events(permits, "AdminTransferStarted", receipt)
    assert (started["admin"], started["pending_admin"]) == (old, new)
    # Nothing changes until the new admin proves it controls its key.
    assert permits.functions.admin().call() == old
    assert permits.functions.pending_admin().call() == new
    with revert_reason("not pending admin"):
        permits.functions.accept_admin().transact({"from": registries.outsider})
    with revert_reason("not pending admin"):
        permits.functions.accept_admin().transact({"from": old})

    receipt = registries.transact(permits.functions.accept_admin(), new)
    (moved,) = registries.events(permits, "AdminTransferred", receipt)
    assert (moved["previous_admin"], moved["admin"]) == (old, new)
    assert permits.functions.admin().call() == new
    assert permits.functions.pending_admin().call() == ZERO
    with revert_reason("not admin"):
        permits.functions.add_registrar(registries.outsider).transact({"from": old})
    registries.transact(permits.functions.add_registrar(registries.outsider), new)
    assert permits.functions.is_registrar(registries.outsider).call()
    with revert_reason("not pending admin"):
        permits.functions.accept_admin().transact({"from": new})


def test_a_new_transfer_replaces_the_pending_one(registries: Registries):
    permits, first, second = registries.permits, registries.spare[0], registries.spare[1]
    registries.transact(permits.functions.transfer_admin(first), registries.admin)
    registries.transact(permits.functions.transfer_admin(second), registries.admin)
    with revert_reason("not pending admin"):
        permits.functions.accept_admin().transact({"from": first})
    registries.transact(permits.functions.accept_admin(), second)
    assert permits.functions.admin().call() == second


def test_transfer_admin_guards(registries: Registries):
    permits = registries.permits
    with revert_reason("not admin"):
        permits.functions.transfer_admin(registries.outsider).transact({"from": registries.outsider})
    with revert_reason("not admin"):
        permits.functions.transfer_admin(registries.outsider).transact({"from": registries.registrar})
    with revert_reason("zero address"):
        permits.functions.transfer_admin(ZERO).transact({"from": registries.admin})
    assert permits.functions.pending_admin().call() == ZERO


def test_add_and_remove_registrar(registries: Registries):
    permits, admin, account = registries.permits, registries.admin, registries.spare[0]
    receipt = registries.transact(permits.functions.add_registrar(account), admin)
    (added,) = registries.events(permits, "RegistrarAdded", receipt)
    assert (added["account"], added["admin"]) == (account, admin)
    assert permits.functions.is_registrar(account).call()
    with revert_reason("already a registrar"):
        permits.functions.add_registrar(account).transact({"from": admin})

    receipt = registries.transact(permits.functions.remove_registrar(account), admin)
    (removed,) = registries.events(permits, "RegistrarRemoved", receipt)
    assert (removed["account"], removed["admin"]) == (account, admin)
    assert not permits.functions.is_registrar(account).call()
    with revert_reason("not a registrar"):
        permits.functions.remove_registrar(account).transact({"from": admin})


def test_registrar_management_is_admin_only(registries: Registries):
    permits = registries.permits
    for caller in (registries.registrar, registries.outsider):
        with revert_reason("not admin"):
            permits.functions.add_registrar(registries.spare[0]).transact({"from": caller})
        with revert_reason("not admin"):
            permits.functions.remove_registrar(registries.registrar).transact({"from": caller})
    with revert_reason("zero address"):
        permits.functions.add_registrar(ZERO).transact({"from": registries.admin})
    assert not permits.functions.is_registrar(registries.spare[0]).call()
    assert permits.functions.is_registrar(registries.registrar).call()


def test_removed_registrar_can_no_longer_anchor(registries: Registries):
    registries.transact(registries.permits.functions.remove_registrar(registries.registrar), registries.admin)
    with revert_reason("not a registrar"):
        registries.anchor(HASH)


def _guarded_calls(r: Registries):
    issuer = encode_issuer_id(ISSUER_BIN)
    w = r.window()
    return {
        "anchor": r.permits.functions.anchor(
            b"\x22" * 32, "KZ-2", issuer, w.issued_at, w.valid_until, "A", "B"
        ),
        "suspend": r.permits.functions.suspend(HASH, 1),
        "reinstate": r.permits.functions.reinstate(HASH),
        "revoke": r.permits.functions.revoke(HASH, 1),
        "suspend_issuer": r.issuers.functions.suspend_issuer(issuer, 1),
        "revoke_issuer": r.issuers.functions.revoke_issuer(issuer, 1),
        "reinstate_issuer": r.issuers.functions.reinstate_issuer(issuer),
    }


@pytest.mark.parametrize(
    "name",
    ["anchor", "suspend", "reinstate", "revoke", "suspend_issuer", "revoke_issuer", "reinstate_issuer"],
)
@pytest.mark.parametrize("role", ["admin", "outsider"])
def test_registrar_only_functions_refuse_others(registries: Registries, name: str, role: str):
    """The admin governs roles but is not a registrar: it cannot anchor or act on permits either."""
    registries.anchor(HASH)
    before_permit = registries.permit(HASH, registries.now())
    before_issuer = registries.issuer()
    caller = getattr(registries, role)
    with revert_reason("not a registrar"):
        _guarded_calls(registries)[name].transact({"from": caller})
    assert registries.permit(HASH, registries.now()) == before_permit
    assert registries.issuer() == before_issuer
    assert registries.permit(b"\x22" * 32, registries.now()).permit_number == ""


def test_issuer_register_accepts_writes_only_from_the_permit_registry(registries: Registries):
    registries.anchor(HASH)
    before = registries.issuer()
    issuer = encode_issuer_id(ISSUER_BIN)
    w = registries.window()
    for caller in (registries.registrar, registries.admin, registries.outsider):
        with revert_reason("caller is not the permit registry"):
            registries.issuers.functions.enter(
                issuer, "Forged", "Forged", b"\x33" * 32, w.valid_until, caller
            ).transact({"from": caller})
        with revert_reason("caller is not the permit registry"):
            registries.issuers.functions.permit_status_changed(issuer, HASH, 3, 1, caller).transact(
                {"from": caller}
            )
    assert registries.issuer() == before
