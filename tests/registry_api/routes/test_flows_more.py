"""More flows: a holiday submission across Nauryz, a GOST applicant end to end, and monitoring events of
a real request delivered after the monitoring endpoint was down."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest
from sqlalchemy import select

from registry_api.models.tables import Application
from registry_api.services.outbox import deliver_due
from tests.registry_api.pki import make_pki
from tests.registry_api.receiver import running_receiver
from tests.registry_api.routes.test_flows import Flow

NAURYZ_2025 = [dt.date(2025, 3, d) for d in range(21, 26)]  # 21-23 March and the two observed days


@pytest.fixture(scope="module")
def nauryz_pki(tmp_path_factory):
    return make_pki(
        tmp_path_factory.mktemp("pki-nauryz"),
        algorithm="RSA-SHA256",
        at=dt.datetime(2025, 3, 19, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize("moment", [(2025, 3, 20, 19, 0), (2025, 3, 22, 11, 0), (2025, 3, 25, 10, 0)])
def test_submission_across_nauryz_is_registered_after_the_holidays(
    make_client, nauryz_pki, clock, moment
) -> None:
    clock.set(*moment)  # Thursday evening before Nauryz; Saturday and Tuesday during it
    client, settings = make_client(pki=nauryz_pki)
    flow = Flow(client, settings, nauryz_pki, clock)
    app = flow.submit().json()
    deadlines = app["deadlines"]
    assert deadlines["registration_day"] == "2025-03-26"
    cal, terms = settings.calendar, settings.profile.deadlines
    assert dt.datetime.fromisoformat(deadlines["completeness_due"]) == cal.deadline_end(
        dt.date(2025, 3, 26), terms.completeness_check
    )
    for key in ("registration_due", "completeness_due", "service_term_due", "hearing_notice_due"):
        day = dt.datetime.fromisoformat(deadlines[key]).astimezone(cal.profile.timezone).date()
        assert day not in NAURYZ_2025 and cal.is_working_day(day)


@pytest.mark.slow
def test_a_gost_entrepreneur_gets_a_permit_signed_with_gost(make_client, gost_pki, clock) -> None:
    client, settings = make_client(pki=gost_pki)
    flow = Flow(client, settings, gost_pki, clock, legal_entity=False)
    response = flow.submit()
    assert response.status_code == 201, response.json()
    flow.step("officer", "register")
    flow.step("officer", "completeness", {"complete": True})
    flow.step("officer", "approve")
    done = flow.step("head", "sign")
    assert done["status"] == "permit_issued"
    with client.app.state.sessions() as s:
        app = s.scalars(select(Application).where(Application.number == flow.number)).one()
        assert app.signer_algorithm == "GOST2015-512"
    assert client.app.state.ports.head_signer.signer.algorithm == "GOST2015-512"


def test_stage_events_of_a_request_reach_monitoring_after_an_outage(make_client, pki, clock) -> None:
    client, settings = make_client(pki=pki)
    flow = Flow(client, settings, pki, clock)
    flow.submit()
    flow.step("officer", "register")
    sessions = client.app.state.sessions
    with running_receiver() as receiver, httpx.Client(timeout=5) as http:

        def deliver(now):
            return deliver_due(
                sessions,
                client=http,
                url=receiver.url,
                now=now,
                batch=10,
                base_seconds=settings.outbox_backoff_seconds,
                cap_seconds=settings.outbox_backoff_cap_seconds,
            )

        assert deliver(clock.now).failed == 2
        receiver.down = False
        later = clock.now + dt.timedelta(seconds=settings.outbox_backoff_cap_seconds)
        assert deliver(later).delivered == 2
    stages = [body["payload"]["stage"] for _, body in receiver.received]
    assert stages == ["accepted", "registered"]
    assert all(body["payload"]["request_number"] == flow.number for _, body in receiver.received)
    assert json.dumps(receiver.received)  # plain JSON, nothing binary or secret


def test_the_service_runs_the_delivery_worker_while_it_serves(make_client, pki, clock) -> None:
    with running_receiver() as receiver:
        receiver.down = False
        client, settings = make_client(pki=pki, monitoring_url=receiver.url, outbox_interval_seconds=0.05)
        with client:  # runs the app's lifespan: the outbox worker thread starts and stops with it
            flow = Flow(client, settings, pki, clock)
            flow.submit()
            deadline = time.monotonic() + 10
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)  # waiting for a background thread, not for a deadline of the rules
    assert [body["payload"]["stage"] for _, body in receiver.received] == ["accepted"]


def test_after_the_shipped_profile_ends_requests_are_flagged_not_refused(
    make_client, tmp_path, clock
) -> None:
    # The shipped profile (order 130/НҚ as amended) ends on 2026-04-30; a request on 4 May 2026 is
    # still accepted and handled, flagged so a successor order's profile can be configured.
    pki = make_pki(tmp_path / "pki-2026", algorithm="RSA-SHA256", at=dt.datetime(2026, 5, 3, tzinfo=dt.UTC))
    clock.set(2026, 5, 4, 10)
    client, settings = make_client(pki=pki)
    assert settings.profile.effective_until is not None
    assert settings.profile.effective_until < clock.now.date()
    app = Flow(client, settings, pki, clock).submit().json()
    assert app["profile_key"] == settings.profile.key
    assert app["profile_out_of_range"] is True
