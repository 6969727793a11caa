"""Calendar dates in Asia/Almaty <-> the seconds the contract stores, including the 2024 zone change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contracts.exceptions import InvalidValueError
from contracts.permit_dates import calendar_dates, local_date, start_of_day, window, window_for_issue

ALMATY = ZoneInfo("Asia/Almaty")
UTC = dt.UTC


def test_start_of_day_follows_the_zone_history():
    """Kazakhstan moved from UTC+6 to UTC+5 on 2024-03-01."""
    before = start_of_day(dt.date(2024, 2, 1), ALMATY)
    after = start_of_day(dt.date(2024, 3, 2), ALMATY)
    assert dt.datetime.fromtimestamp(before, UTC) == dt.datetime(2024, 1, 31, 18, 0, tzinfo=UTC)
    assert dt.datetime.fromtimestamp(after, UTC) == dt.datetime(2024, 3, 1, 19, 0, tzinfo=UTC)


def test_window_for_issue_uses_the_profile(rule_profile):
    w = window_for_issue(dt.date(2025, 3, 1), rule_profile)
    assert w.last_valid_day == rule_profile.permit_valid_until(dt.date(2025, 3, 1))
    assert w.issued_at == start_of_day(dt.date(2025, 3, 1), rule_profile.timezone)
    assert w.valid_until == start_of_day(w.last_valid_day + dt.timedelta(days=1), rule_profile.timezone)
    assert local_date(w.valid_until - 1, rule_profile.timezone) == w.last_valid_day
    assert local_date(w.valid_until, rule_profile.timezone) == w.last_valid_day + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("issued", "last"),
    [
        (dt.date(2023, 8, 31), dt.date(2026, 8, 30)),
        (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
        (dt.date(2024, 1, 15), dt.date(2024, 1, 15)),
    ],
)
def test_round_trip(issued, last):
    w = window(issued, last, ALMATY)
    assert calendar_dates(w.issued_at, w.valid_until, ALMATY) == (issued, last)


def test_invalid_windows_are_refused():
    with pytest.raises(InvalidValueError, match="before the issue date"):
        window(dt.date(2025, 3, 2), dt.date(2025, 3, 1), ALMATY)
    with pytest.raises(InvalidValueError, match="valid_until must be after issued_at"):
        calendar_dates(100, 100, ALMATY)
