"""The working-day calendar: known Kazakh dates and the arithmetic's properties (R-TIME-1, R-REG-3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry_api.calendar import WorkingCalendar, load_transfers
from registry_api.exceptions import CalendarError

ASTANA = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def cal(rule_profile) -> WorkingCalendar:
    return WorkingCalendar(rule_profile)


days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 10, 31))
counts = st.integers(min_value=0, max_value=40)


@pytest.mark.parametrize("day", [dt.date(2025, 3, 21), dt.date(2025, 3, 24), dt.date(2025, 3, 25)])
def test_nauryz_and_its_observed_days_are_off(cal, day) -> None:
    assert not cal.is_working_day(day)


def test_new_year_days_and_the_transferred_day_off_are_off(cal) -> None:
    assert not cal.is_working_day(dt.date(2025, 1, 1))
    assert not cal.is_working_day(dt.date(2025, 1, 2))
    assert not cal.is_working_day(dt.date(2025, 1, 3))  # moved from Sunday 5 January
    assert cal.is_working_day(dt.date(2025, 1, 5))  # that Sunday was worked


def test_transferred_working_saturday_2024(cal) -> None:
    assert dt.date(2024, 5, 4).isoweekday() == 6
    assert cal.is_working_day(dt.date(2024, 5, 4))
    assert not cal.is_working_day(dt.date(2024, 5, 8))


def test_a_plain_weekday_works_and_a_plain_weekend_rests(cal) -> None:
    assert cal.is_working_day(dt.date(2025, 2, 12))
    assert not cal.is_working_day(dt.date(2025, 2, 15))


def test_term_across_nauryz_skips_the_holidays(cal, rule_profile) -> None:
    # Registered Thursday 20 March 2025; 21-25 March are off, so day 1 is Wednesday 26 March.
    n = rule_profile.deadlines.completeness_check
    assert cal.add_working_days(dt.date(2025, 3, 20), 1) == dt.date(2025, 3, 26)
    assert cal.add_working_days(dt.date(2025, 3, 20), n) == cal.add_working_days(dt.date(2025, 3, 26), n - 1)
    end = cal.deadline_end(dt.date(2025, 3, 20), 1)
    assert end == dt.datetime(2025, 3, 26, 18, 30, tzinfo=ASTANA)


def test_after_hours_friday_submission_is_registered_next_working_day(cal) -> None:
    friday_evening = dt.datetime(2025, 2, 14, 19, 0, tzinfo=ASTANA)
    assert cal.next_working_moment(friday_evening) == dt.datetime(2025, 2, 17, 9, 0, tzinfo=ASTANA)
    assert cal.registration_day(friday_evening) == dt.date(2025, 2, 17)


def test_submission_in_office_hours_is_registered_that_day(cal) -> None:
    moment = dt.datetime(2025, 2, 12, 10, 15, tzinfo=ASTANA)
    assert cal.next_working_moment(moment) == moment
    lunch = dt.datetime(2025, 2, 12, 13, 30, tzinfo=ASTANA)
    assert cal.next_working_moment(lunch) == dt.datetime(2025, 2, 12, 14, 30, tzinfo=ASTANA)
    assert not cal.is_working_time(lunch)
    early = dt.datetime(2025, 2, 12, 3, 0, tzinfo=ASTANA)
    assert cal.next_working_moment(early) == dt.datetime(2025, 2, 12, 9, 0, tzinfo=ASTANA)


def test_utc_moments_are_read_in_astana_time_which_is_utc_plus_5(cal) -> None:
    # Kazakhstan is UTC+5 since 1 March 2024 (tzdata 2024a+): 13:15 UTC is 18:15, still office hours;
    # under the old UTC+6 it would be 19:15 and roll to the next day.
    assert cal.registration_day(dt.datetime(2025, 2, 12, 13, 15, tzinfo=dt.UTC)) == dt.date(2025, 2, 12)
    assert cal.registration_day(dt.datetime(2025, 2, 12, 13, 45, tzinfo=dt.UTC)) == dt.date(2025, 2, 13)


def test_naive_moments_and_negative_counts_are_refused(cal) -> None:
    with pytest.raises(CalendarError):
        cal.next_working_moment(dt.datetime(2025, 2, 12, 10, 0))
    with pytest.raises(CalendarError):
        cal.add_working_days(dt.date(2025, 2, 12), -1)


def test_transfers_file_with_a_clash_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text(
        "version = 1\n[[working_weekend_days]]\ndate = 2024-05-04\n[[extra_days_off]]\ndate = 2024-05-04\n"
    )
    with pytest.raises(CalendarError, match="both"):
        load_transfers(bad)


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_result_is_a_working_day_strictly_after_start(cal, start, n) -> None:
    result = cal.add_working_days(start, n)
    assert result > start
    assert cal.is_working_day(result)
    assert cal.working_days_between(start, result) == n


@settings(max_examples=200, deadline=None)
@given(start=days, n=counts, m=counts)
def test_adding_n_then_m_equals_adding_n_plus_m(cal, start, n, m) -> None:
    assert cal.add_working_days(cal.add_working_days(start, n), m) == cal.add_working_days(start, n + m)


@settings(max_examples=200, deadline=None)
@given(start=days, n=counts, m=counts)
def test_more_days_never_end_earlier(cal, start, n, m) -> None:
    assert cal.add_working_days(start, n) <= cal.add_working_days(start, n + m)


@settings(max_examples=200, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=40))
def test_subtracting_undoes_adding(cal, start, n) -> None:
    end = cal.add_working_days(start, n)
    back = cal.subtract_working_days(end, n)
    assert back <= start
    assert cal.add_working_days(back, n) == end


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(2024, 3, 1), max_value=dt.datetime(2026, 10, 31), timezones=st.just(ASTANA)
    )
)
def test_next_working_moment_is_at_work_not_earlier_and_never_on_a_day_off(cal, moment) -> None:
    nxt = cal.next_working_moment(moment)
    assert nxt >= moment
    assert cal.is_working_time(nxt)
    assert cal.is_working_day(nxt.date())
    if not cal.is_working_day(moment.date()) or moment.time() >= cal.profile.working_time.end:
        # After hours or a day off: counted from the next working day.
        assert nxt.date() > moment.date()
        assert nxt.time() == cal.profile.working_time.start
