"""status_at agrees with its definition for any dates and any moment (property test on one chain)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import ChecksumAddress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import EthereumTesterProvider, Web3

from contracts.deploy import deploy_registries
from contracts.permit_dates import window
from contracts.registry_reader import RegistryReader
from contracts.statuses import PermitStatus
from permitchain.rule_profile import RuleProfile, default_profile

PROFILE: RuleProfile = default_profile()
_serial = itertools.count()


@pytest.fixture(scope="module")
def chain() -> Iterator[tuple[RegistryReader, ChecksumAddress]]:
    w3 = Web3(EthereumTesterProvider(EthereumTester(backend=PyEVMBackend())))
    admin, registrar = list(w3.eth.accounts)[:2]
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar])
    permits, issuers = addresses.permit_registry, addresses.issuer_registry
    yield RegistryReader(w3, permit_registry=permits, issuer_registry=issuers), registrar


def expected_status(issued_on: dt.date, last_day: dt.date, at: dt.datetime) -> PermitStatus:
    """The definition in calendar terms: valid from the first moment of the issue date (Almaty) through
    the last moment of the last valid day."""
    local = at.astimezone(PROFILE.timezone).date()
    if local < issued_on:
        return PermitStatus.NOT_YET_VALID
    if local > last_day:
        return PermitStatus.EXPIRED
    return PermitStatus.VALID


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    issued_on=st.dates(min_value=dt.date(2023, 8, 1), max_value=dt.date(2026, 4, 30)),
    days=st.integers(min_value=0, max_value=4 * 366),
    offset_s=st.integers(min_value=-3 * 86_400, max_value=3 * 86_400),
    anchor_at_end=st.booleans(),
)
def test_status_matches_the_calendar_definition(chain, issued_on, days, offset_s, anchor_at_end):
    reader, registrar = chain
    permits, w3 = reader.permits, reader.permits.w3
    last_day = issued_on + dt.timedelta(days=days)
    w = window(issued_on, last_day, PROFILE.timezone)
    serial = next(_serial)
    permit_hash = Web3.keccak(text=f"property permit {serial}")
    # A fixed gas limit skips eth-tester's gas estimation (a binary search of executions), the slow part.
    tx = permits.functions.anchor(
        permit_hash, f"KZ-P-{serial}", b"940140000385", w.issued_at, w.valid_until, "Issuer", "Platform"
    ).transact({"from": registrar, "gas": 1_000_000})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    at = (w.valid_until if anchor_at_end else w.issued_at) + offset_s
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    assert reader.permit_status(permit_hash, at).status is expected_status(issued_on, last_day, moment)
