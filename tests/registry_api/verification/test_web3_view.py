"""The web3 view's per-block cache and event index, on a real node."""

from __future__ import annotations

import pytest

from contracts.statuses import IssuerStatus
from registry_api.verification.chain_view import IssuerEventKind, PermitEventKind
from registry_api.verification.exceptions import ChainUnavailable
from registry_api.verification.web3_view import Web3RegistryView, connect

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _view(env, clock, ttl):
    return Web3RegistryView(
        env.w3,
        permit_registry=env.addresses.permit_registry,
        issuer_registry=env.addresses.issuer_registry,
        head_ttl_seconds=ttl,
        monotonic=lambda: clock[0],
    )


def test_reads_are_reused_until_the_head_is_re_read(chain_env):
    permit = chain_env.make_permit()
    clock = [0.0]
    view = _view(chain_env, clock, ttl=10.0)
    assert view.issuer(permit.issuer_id, 0).status is IssuerStatus.ACTIVE
    chain_env.writer.suspend(permit.sha256, 1)
    assert view.issuer(permit.issuer_id, 0).status is IssuerStatus.ACTIVE  # same head: cached answer
    clock[0] = 11.0  # the head is re-read, it moved: the cache is dropped
    assert view.issuer(permit.issuer_id, 0).status is IssuerStatus.SUSPENDED
    fresh = _view(chain_env, clock, ttl=0.0)
    chain_env.writer.reinstate(permit.sha256)
    assert fresh.issuer(permit.issuer_id, 0).status is IssuerStatus.ACTIVE


def test_events_are_indexed_incrementally(chain_env):
    view = _view(chain_env, [0.0], ttl=0.0)
    permit = chain_env.make_permit()
    assert [e.kind for e in view.permit_events(permit.sha256)] == [PermitEventKind.ANCHORED]
    chain_env.writer.suspend(permit.sha256, 2)
    events = view.permit_events(permit.sha256)
    assert [e.kind for e in events] == [PermitEventKind.ANCHORED, PermitEventKind.SUSPENDED]
    assert events[1].reason == 2 and events[0].issuer_id == permit.issuer_id
    kinds = [e.kind for e in view.issuer_events(permit.issuer_id)]
    assert kinds == [IssuerEventKind.REGISTERED, IssuerEventKind.STATUS_CHANGED]
    assert permit.issuer_id in view.issuer_ids()


def test_an_unreachable_node_is_chain_unavailable(chain_env):
    dead = Web3RegistryView(
        connect("http://127.0.0.1:9", timeout_seconds=1),
        permit_registry=chain_env.addresses.permit_registry,
        issuer_registry=chain_env.addresses.issuer_registry,
    )
    with pytest.raises(ChainUnavailable):
        dead.head()
    with pytest.raises(ChainUnavailable):
        connect("file:///etc/passwd")
