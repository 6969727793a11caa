"""Complaints (R-CMP-1/2): deadlines from registration, the favourable-decision window, statuses."""

from __future__ import annotations

import datetime as dt

import pytest

from registry_api.core.db import make_engine, migrate, session_factory
from registry_api.exceptions import Forbidden, IllegalTransition
from registry_api.models.tables import Application
from registry_api.services.complaints import decide_complaint, file_complaint, list_complaints
from registry_api.services.workflow import Role, Status, initial_schedule
from tests.registry_api.conftest import APPLICANT, ASTANA, STAFF, make_settings


@pytest.fixture
def env(database_url):
    settings = make_settings(database_url)
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    submitted = dt.datetime(2025, 2, 10, 10, tzinfo=ASTANA)
    schedule = initial_schedule(submitted, calendar=settings.calendar)
    with sessions() as s:
        s.add(
            Application(
                number="SDA-2025-000001",
                applicant_id=APPLICANT.applicant_id,
                applicant_name="ТОО Платформа",
                status=Status.REFUSED.value,
                profile_key=settings.profile.key,
                profile_out_of_range=False,
                submitted_at=submitted,
                registration_day=schedule.registration_day,
                registration_due=schedule.registration_due,
                completeness_due=schedule.completeness_due,
                service_term_due=schedule.service_term_due,
                hearing_notice_due=schedule.hearing_notice_due,
                form_json="{}",
                form_sha256="0" * 64,
                signature=b"x",
                signer_algorithm="RSA-SHA256",
                request_sha256="0" * 64,
                hearing_notice_late=False,
            )
        )
        s.commit()
    yield settings, sessions
    engine.dispose()


def test_deadlines_count_from_the_registration_of_the_complaint(env) -> None:
    settings, sessions = env
    terms, cal = settings.profile.deadlines, settings.calendar
    friday_evening = dt.datetime(2025, 2, 14, 19, tzinfo=ASTANA)
    with sessions() as s:
        c = file_complaint(
            s,
            principal=APPLICANT,
            application_number="SDA-2025-000001",
            addressee="provider",
            text="t",
            settings=settings,
            now=friday_evening,
        )
        assert c.registration_day == dt.date(2025, 2, 17)
        assert c.forward_due == cal.deadline_end(dt.date(2025, 2, 17), terms.complaint_forwarding)
        assert c.review_due == cal.deadline_end(dt.date(2025, 2, 17), terms.complaint_review_provider)
        q = file_complaint(
            s,
            principal=APPLICANT,
            application_number="SDA-2025-000001",
            addressee="quality_body",
            text="t",
            settings=settings,
            now=friday_evening,
        )
        assert q.review_due == cal.deadline_end(dt.date(2025, 2, 17), terms.complaint_review_quality_body)
        assert [x.id for x in list_complaints(s, principal=APPLICANT)] == [c.id, q.id]


def test_a_favourable_decision_is_possible_only_inside_its_window(env) -> None:
    settings, sessions = env
    filed = dt.datetime(2025, 2, 12, 10, tzinfo=ASTANA)
    officer = STAFF[Role.OFFICER]
    with sessions() as s:
        early = file_complaint(
            s,
            principal=APPLICANT,
            application_number="SDA-2025-000001",
            addressee="provider",
            text="t",
            settings=settings,
            now=filed,
        )
        late = file_complaint(
            s,
            principal=APPLICANT,
            application_number="SDA-2025-000001",
            addressee="provider",
            text="t",
            settings=settings,
            now=filed,
        )
        window_end = settings.calendar.deadline_end(
            dt.date(2025, 2, 12), settings.profile.deadlines.complaint_favourable_decision
        )
        done = decide_complaint(
            s,
            complaint_id=early.id,
            decision="satisfied",
            outcome="granted",
            principal=officer,
            settings=settings,
            now=window_end,
        )
        assert (done.status, done.resolved_at) == ("satisfied", window_end)
        with pytest.raises(IllegalTransition) as e:
            decide_complaint(
                s,
                complaint_id=late.id,
                decision="satisfied",
                outcome="x",
                principal=officer,
                settings=settings,
                now=window_end + dt.timedelta(minutes=1),
            )
        assert e.value.code == "favourable_window_closed"
        fwd = decide_complaint(
            s,
            complaint_id=late.id,
            decision="forwarded",
            outcome="sent",
            principal=officer,
            settings=settings,
            now=window_end,
        )
        assert fwd.status == "forwarded" and fwd.resolved_at is None
        final = decide_complaint(
            s,
            complaint_id=late.id,
            decision="rejected",
            outcome="no",
            principal=officer,
            settings=settings,
            now=window_end,
        )
        assert final.status == "decided"
        with pytest.raises(IllegalTransition):
            decide_complaint(
                s,
                complaint_id=late.id,
                decision="forwarded",
                outcome="again",
                principal=officer,
                settings=settings,
                now=window_end,
            )


def test_only_applicants_file_and_only_officers_decide(env) -> None:
    settings, sessions = env
    now = dt.datetime(2025, 2, 12, 10, tzinfo=ASTANA)
    with sessions() as s:
        with pytest.raises(Forbidden):
            file_complaint(
                s,
                principal=STAFF[Role.OFFICER],
                application_number="SDA-2025-000001",
                addressee="provider",
                text="t",
                settings=settings,
                now=now,
            )
        c = file_complaint(
            s,
            principal=APPLICANT,
            application_number="SDA-2025-000001",
            addressee="provider",
            text="t",
            settings=settings,
            now=now,
        )
        for role in (Role.HEAD, Role.AUDITOR):
            with pytest.raises(Forbidden):
                decide_complaint(
                    s,
                    complaint_id=c.id,
                    decision="forwarded",
                    outcome="x",
                    principal=STAFF[role],
                    settings=settings,
                    now=now,
                )
