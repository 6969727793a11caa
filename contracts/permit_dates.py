"""Calendar dates of a permit <-> the unix seconds the PermitRegistry stores.

A permit's dates are calendar dates in the rule profile's time zone (Asia/Almaty). On chain:
``issued_at`` is 00:00 local at the start of the date of issue and ``valid_until`` is 00:00 local at the
start of the day after the last day of validity, so a permit is valid on ``[issued_at, valid_until)``.
The zone's own history (UTC+6 until 2024-03-01, UTC+5 since) is applied here by ``zoneinfo``, never in
the contract. The validity length comes from the rule profile (Annex 3: 3 years).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contracts.exceptions import InvalidValueError
from permitchain.rule_profile import RuleProfile


@dataclass(frozen=True, slots=True)
class PermitWindow:
    """A permit's validity as the contract stores it, with the calendar dates it came from."""

    issued_on: dt.date
    last_valid_day: dt.date
    issued_at: int
    valid_until: int


def start_of_day(day: dt.date, tz: ZoneInfo) -> int:
    """Unix seconds of 00:00 on ``day`` in ``tz``."""
    return int(dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).timestamp())


def local_date(seconds: int, tz: ZoneInfo) -> dt.date:
    """The calendar date in ``tz`` at the instant ``seconds``."""
    return dt.datetime.fromtimestamp(seconds, tz=tz).date()


def window(issued_on: dt.date, last_valid_day: dt.date, tz: ZoneInfo) -> PermitWindow:
    """The stored form of a permit valid from ``issued_on`` through ``last_valid_day`` inclusive."""
    if last_valid_day < issued_on:
        raise InvalidValueError(
            f"last day of validity {last_valid_day.isoformat()} is before "
            f"the issue date {issued_on.isoformat()}"
        )
    return PermitWindow(
        issued_on=issued_on,
        last_valid_day=last_valid_day,
        issued_at=start_of_day(issued_on, tz),
        valid_until=start_of_day(last_valid_day + dt.timedelta(days=1), tz),
    )


def window_for_issue(issued_on: dt.date, profile: RuleProfile) -> PermitWindow:
    """The window of a permit issued on ``issued_on`` under ``profile`` (its validity and time zone)."""
    return window(issued_on, profile.permit_valid_until(issued_on), profile.timezone)


def calendar_dates(issued_at: int, valid_until: int, tz: ZoneInfo) -> tuple[dt.date, dt.date]:
    """Back from the stored seconds to (date of issue, last day of validity)."""
    if valid_until <= issued_at:
        raise InvalidValueError("valid_until must be after issued_at")
    return local_date(issued_at, tz), local_date(valid_until - 1, tz)
