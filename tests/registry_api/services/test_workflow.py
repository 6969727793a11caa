"""The pure workflow: every legal path, every illegal step refused, deadlines from the profile."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from registry_api.calendar import WorkingCalendar
from registry_api.exceptions import IllegalTransition, InvalidInput
from registry_api.services.workflow import (
    TRANSITIONS,
    Action,
    RefusalGround,
    Status,
    Timeliness,
    decide,
    initial_schedule,
    timeliness,
)

ASTANA = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def cal(rule_profile) -> WorkingCalendar:
    return WorkingCalendar(rule_profile)


def at(day: int, hour: int = 10, month: int = 2) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, 0, tzinfo=ASTANA)


def test_schedule_counts_from_the_registration_day(cal, rule_profile) -> None:
    terms = rule_profile.deadlines
    s = initial_schedule(at(12), calendar=cal)  # Wednesday 12 Feb 2025, in hours
    assert s.registration_day == dt.date(2025, 2, 12)
    assert s.completeness_due == cal.deadline_end(dt.date(2025, 2, 12), terms.completeness_check)
    assert s.completeness_due.date() == dt.date(2025, 2, 14)
    assert s.service_term_due.date() == cal.add_working_days(dt.date(2025, 2, 12), terms.service_term)
    # The notice goes out no later than N working days before the term ends (R-HEAR-1).
    notice_day = s.hearing_notice_due.date()
    assert cal.working_days_between(notice_day, s.service_term_due.date()) == (
        terms.hearing_notice_before_term_end
    )


def test_after_hours_submission_is_scheduled_from_the_next_working_day(cal) -> None:
    s = initial_schedule(at(14, 20), calendar=cal)  # Friday evening
    assert s.registration_day == dt.date(2025, 2, 17)


def test_permit_path(cal) -> None:
    s = initial_schedule(at(12), calendar=cal)
    d = decide(Status.ACCEPTED, Action.REGISTER, at=at(12), schedule=s, calendar=cal)
    d = decide(d.status, Action.COMPLETE, at=at(13), schedule=d.schedule, calendar=cal)
    assert d.status is Status.UNDER_EXAMINATION
    assert d.schedule.examination_due == cal.deadline_end(
        dt.date(2025, 2, 13), cal.profile.deadlines.examination
    )
    d = decide(d.status, Action.APPROVE, at=at(14), schedule=d.schedule, calendar=cal)
    d = decide(d.status, Action.SIGN, at=at(14, 15), schedule=d.schedule, calendar=cal)
    assert d.status is Status.PERMIT_ISSUED


def test_hearing_path_checks_grounds_and_hearing_time(cal) -> None:
    s = initial_schedule(at(12), calendar=cal)
    s2 = decide(Status.REGISTERED, Action.COMPLETE, at=at(12), schedule=s, calendar=cal).schedule
    with pytest.raises(InvalidInput) as e:
        decide(
            Status.UNDER_EXAMINATION,
            Action.PRELIMINARY_REFUSAL,
            at=at(12),
            schedule=s2,
            calendar=cal,
            hearing_at=at(13),
        )
    assert e.value.code == "grounds_missing"
    too_late = at(20)
    with pytest.raises(InvalidInput) as e:
        decide(
            Status.UNDER_EXAMINATION,
            Action.PRELIMINARY_REFUSAL,
            at=at(12),
            schedule=s2,
            calendar=cal,
            grounds=(RefusalGround.NON_COMPLIANCE,),
            hearing_at=too_late,
        )
    assert e.value.code == "hearing_time_invalid"
    d = decide(
        Status.UNDER_EXAMINATION,
        Action.PRELIMINARY_REFUSAL,
        at=at(12),
        schedule=s2,
        calendar=cal,
        grounds=(RefusalGround.NON_COMPLIANCE,),
        hearing_at=at(13),
    )
    assert d.status is Status.HEARING_SCHEDULED and not d.notice_late
    assert d.schedule.hearing_due == cal.deadline_end(
        dt.date(2025, 2, 12), cal.profile.deadlines.hearing_within_after_notice
    )
    refused = decide(d.status, Action.HEARING_REFUSE, at=at(13), schedule=d.schedule, calendar=cal)
    assert refused.status is Status.REFUSAL_PENDING_SIGNATURE
    assert (
        decide(refused.status, Action.SIGN, at=at(13), schedule=d.schedule, calendar=cal).status
        is Status.REFUSED
    )
    granted = decide(d.status, Action.HEARING_GRANT, at=at(13), schedule=d.schedule, calendar=cal)
    assert granted.status is Status.PERMIT_PENDING_SIGNATURE


def test_a_notice_after_its_latest_day_is_flagged_late(cal) -> None:
    s = initial_schedule(at(10), calendar=cal)
    late_day = cal.add_working_days(s.hearing_notice_due.date(), 1)
    moment = dt.datetime.combine(late_day, dt.time(10), tzinfo=ASTANA)
    d = decide(
        Status.UNDER_EXAMINATION,
        Action.PRELIMINARY_REFUSAL,
        at=moment,
        schedule=s,
        calendar=cal,
        grounds=(RefusalGround.UNRELIABLE_DOCUMENTS,),
        hearing_at=moment,
    )
    assert d.notice_late


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_step_outside_the_graph_is_refused(cal, status, action) -> None:
    s = initial_schedule(at(12), calendar=cal)
    if (status, action) in TRANSITIONS:
        return
    with pytest.raises(IllegalTransition) as e:
        decide(
            status,
            action,
            at=at(12),
            schedule=s,
            calendar=cal,
            grounds=(RefusalGround.NON_COMPLIANCE,),
            hearing_at=at(12),
        )
    assert e.value.status == 409


def test_timeliness_moves_from_on_time_to_at_risk_to_late(cal) -> None:
    s = initial_schedule(at(10), calendar=cal)  # Monday; completeness due Wednesday 12th 18:30
    assert timeliness(Status.REGISTERED, s, now=at(10), calendar=cal, at_risk_days=1) is Timeliness.ON_TIME
    assert timeliness(Status.REGISTERED, s, now=at(11), calendar=cal, at_risk_days=1) is Timeliness.AT_RISK
    assert timeliness(Status.REGISTERED, s, now=at(12, 19), calendar=cal, at_risk_days=1) is Timeliness.LATE
    assert timeliness(Status.PERMIT_ISSUED, s, now=at(28), calendar=cal, at_risk_days=1) is Timeliness.ON_TIME


def test_a_request_cannot_be_registered_before_its_registration_day(cal) -> None:
    s = initial_schedule(at(14, 20), calendar=cal)  # Friday evening: received Monday 17th
    saturday = dt.datetime(2025, 2, 15, 10, tzinfo=ASTANA)
    with pytest.raises(IllegalTransition) as e:
        decide(Status.ACCEPTED, Action.REGISTER, at=saturday, schedule=s, calendar=cal)
    assert e.value.code == "registration_not_open"
    monday = dt.datetime(2025, 2, 17, 9, 5, tzinfo=ASTANA)
    assert (
        decide(Status.ACCEPTED, Action.REGISTER, at=monday, schedule=s, calendar=cal).status
        is Status.REGISTERED
    )
