"""Working days and working time of the provider (R-TIME-1), pure and without I/O once built.

Public holidays come from the ``holidays`` package (country ``KZ``); the Government's yearly day-off
transfers are DATA (``kz_day_off_transfers.toml``): weekend days that become working days and weekdays
that become days off. Office hours, lunch and the time zone come from the rule profile.

Counting convention (used by every deadline of the rules): a term of *n* working days "from" an event
starts running on the day AFTER the event (Civil Code of the RK, general part: a period defined by a
length of time begins on the day following the date or event that marks its start). So
``add_working_days(day, n)`` is the n-th working day strictly after ``day``; the event day itself is
never day 1, even when it is a working day. A term ends at the close of office hours of that day
(``deadline_end``). ``add_working_days(day, 0)`` is ``day`` itself.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import holidays

from permitchain.rule_profile import RuleProfile
from registry_api.exceptions import CalendarError

BUNDLED_TRANSFERS = Path(__file__).with_name("kz_day_off_transfers.toml")
_ONE_DAY = dt.timedelta(days=1)
# A guard against runaway loops on a broken calendar (e.g. a profile with no working weekdays).
_MAX_SCAN_DAYS = 366 * 2


@dataclass(frozen=True, slots=True)
class DayOffTransfers:
    """The Government's transfers: weekend days worked and weekdays taken off."""

    version: int
    working_weekend_days: frozenset[dt.date]
    extra_days_off: frozenset[dt.date]


def load_transfers(path: Path = BUNDLED_TRANSFERS) -> DayOffTransfers:
    """Read and validate a transfers file; a clash (a date both worked and off) is refused."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError(f"cannot read day-off transfers {path}: {exc}") from exc

    def dates(key: str) -> frozenset[dt.date]:
        rows = data.get(key, [])
        out: set[dt.date] = set()
        for row in rows:
            day = row.get("date") if isinstance(row, dict) else None
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                raise CalendarError(f"{path}: every [[{key}]] needs a date")
            out.add(day)
        return frozenset(out)

    version = data.get("version")
    if not isinstance(version, int):
        raise CalendarError(f"{path}: 'version' must be an integer")
    worked, off = dates("working_weekend_days"), dates("extra_days_off")
    if worked & off:
        raise CalendarError(f"{path}: dates both worked and off: {sorted(worked & off)}")
    return DayOffTransfers(version=version, working_weekend_days=worked, extra_days_off=off)


@dataclass(slots=True)
class WorkingCalendar:
    """The provider's calendar under one rule profile (hours, time zone) and one transfers table."""

    profile: RuleProfile
    transfers: DayOffTransfers = field(default_factory=load_transfers)
    _public_holidays: holidays.HolidayBase = field(init=False, repr=False)
    _cache: dict[dt.date, bool] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._public_holidays = holidays.country_holidays("KZ")

    # -- days --------------------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        """A weekday of the profile that is no holiday or transferred day off, or a worked weekend day."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.transfers.working_weekend_days:
            result = True
        elif day in self.transfers.extra_days_off or day in self._public_holidays:
            result = False
        else:
            result = day.isoweekday() in self.profile.working_time.weekdays
        self._cache[day] = result
        return result

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``start`` (see the module's counting convention)."""
        if n < 0:
            raise CalendarError(f"working-day count must not be negative, got {n}")
        day = start
        remaining = n
        scanned = 0
        while remaining:
            day += _ONE_DAY
            scanned += 1
            if self.is_working_day(day):
                remaining -= 1
                scanned = 0
            elif scanned > _MAX_SCAN_DAYS:
                raise CalendarError("no working day within two years: the calendar is broken")
        return day

    def subtract_working_days(self, end: dt.date, n: int) -> dt.date:
        """The n-th working day strictly before ``end``: the latest start from which n days reach it."""
        if n < 0:
            raise CalendarError(f"working-day count must not be negative, got {n}")
        day = end
        remaining = n
        scanned = 0
        while remaining:
            day -= _ONE_DAY
            scanned += 1
            if self.is_working_day(day):
                remaining -= 1
                scanned = 0
            elif scanned > _MAX_SCAN_DAYS:
                raise CalendarError("no working day within two years: the calendar is broken")
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie in ``(start, end]`` (negative when ``end`` is before ``start``)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    # -- moments -----------------------------------------------------------------------------------
    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the provider's time zone; naive datetimes are refused (time is explicit)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise CalendarError("a moment must carry its time zone (naive datetimes are ambiguous)")
        return moment.astimezone(self.profile.timezone)

    def _at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, clock, tzinfo=self.profile.timezone)

    def is_working_time(self, moment: dt.datetime) -> bool:
        """Within office hours of a working day, lunch excluded."""
        local = self.local(moment)
        wt = self.profile.working_time
        clock = local.time().replace(tzinfo=None)
        if not self.is_working_day(local.date()) or not wt.start <= clock < wt.end:
            return False
        return not wt.lunch_start <= clock < wt.lunch_end

    def next_working_moment(self, now: dt.datetime) -> dt.datetime:
        """``now`` if the office is at work, else the moment it next opens (after lunch, or next day).

        R-REG-3: a request arriving after hours, on a weekend or a holiday is received the next working
        day; one arriving during lunch is still received that day, once lunch is over.
        """
        local = self.local(now)
        wt = self.profile.working_time
        clock = local.time().replace(tzinfo=None)
        day = local.date()
        if self.is_working_day(day):
            if clock < wt.start:
                return self._at(day, wt.start)
            if wt.lunch_start <= clock < wt.lunch_end:
                return self._at(day, wt.lunch_end)
            if clock < wt.end:
                return local
        return self._at(self.next_working_day(day), wt.start)

    def registration_day(self, submitted_at: dt.datetime) -> dt.date:
        """R-REG-3: the day the office registers a request submitted at ``submitted_at``."""
        return self.next_working_moment(submitted_at).date()

    def deadline_end(self, start: dt.date, n: int) -> dt.datetime:
        """The last moment of a term of ``n`` working days counted from ``start``: close of office hours."""
        return self.end_of_day(self.add_working_days(start, n))

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """Close of office hours on ``day`` in the provider's time zone."""
        return self._at(day, self.profile.working_time.end)
