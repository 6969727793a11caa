"""The demo moves the service's clock into office hours (registration is refused outside them)."""

from __future__ import annotations

import datetime as dt

import pytest

from registry_api.core.config import load_settings
from registry_api.demo import OFFICE_START_MARGIN, office_hours_offset


@pytest.fixture(scope="module")
def calendar():
    return load_settings(environment="test").calendar


def at(text: str, calendar) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=calendar.profile.timezone)


@pytest.mark.parametrize(
    "now",
    ["2026-11-25T21:30", "2026-11-28T12:00", "2026-11-30T07:00", "2026-11-25T09:10", "2026-11-25T13:30"],
)
def test_the_shifted_clock_is_in_office_hours_and_never_in_the_future(calendar, now):
    moment = at(now, calendar)
    shifted = moment + office_hours_offset(calendar, moment)
    assert shifted <= moment
    assert calendar.is_working_time(shifted)
    assert calendar.is_working_time(shifted + dt.timedelta(minutes=10))  # the demo's few minutes fit
    opening = calendar.profile.working_time.start
    assert (
        calendar.local(shifted).time()
        == (dt.datetime.combine(dt.date.min, opening) + OFFICE_START_MARGIN).time()
    )


def test_night_moves_to_the_same_working_morning_a_weekend_to_friday(calendar):
    night = at("2026-11-25T21:30", calendar)  # a Wednesday evening
    assert calendar.local(night + office_hours_offset(calendar, night)).date() == dt.date(2026, 11, 25)
    sunday = at("2026-11-29T12:00", calendar)
    assert calendar.local(sunday + office_hours_offset(calendar, sunday)).date() == dt.date(2026, 11, 27)
    early = at("2026-11-25T08:00", calendar)  # before opening: the previous working day
    assert calendar.local(early + office_hours_offset(calendar, early)).date() == dt.date(2026, 11, 24)
