"""The versioned rule profile: every number of the law, with the dates it is in force.

Rules change by order (130/НҚ was amended from 2025-01-08 and repealed from 2026-05-01), so no code
holds a deadline or a node count as a literal: it asks the profile. A successor order is a new TOML
file in ``permitchain/profiles`` (or a directory given by configuration) and needs no code change.
Each application records ``RuleProfile.key`` so it can later be explained under the rules it was
handled by, and a date outside the profile's range is flagged by :meth:`RuleProfile.covers`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from permitchain.errors import RuleProfileError

BUNDLED_PROFILES_DIR = Path(__file__).with_name("profiles")
DEFAULT_PROFILE_KEY = "kz-130-nk@2"


@dataclass(frozen=True, slots=True)
class WorkingTime:
    """R-TIME-1: the provider's office hours in its own time zone."""

    weekdays: frozenset[int]
    start: dt.time
    end: dt.time
    lunch_start: dt.time
    lunch_end: dt.time


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Every term of the rules, in working days."""

    service_term: int
    completeness_check: int
    examination: int
    hearing_notice_before_term_end: int
    hearing_within_after_notice: int
    rules_change_notice: int
    complaint_forwarding: int
    complaint_favourable_decision: int
    complaint_review_provider: int
    complaint_review_quality_body: int


@dataclass(frozen=True, slots=True)
class RuleProfile:
    """One revision of one legal act's numbers, valid on ``[effective_from, effective_until]``."""

    id: str
    revision: int
    title: str
    legal_act: str
    effective_from: dt.date
    effective_until: dt.date | None
    timezone: ZoneInfo
    working_time: WorkingTime
    deadlines: Deadlines
    permit_validity_years: int
    platform_min_nodes: int

    @property
    def key(self) -> str:
        """A stable reference stored with every application, e.g. ``kz-130-nk@2``."""
        return f"{self.id}@{self.revision}"

    def covers(self, day: dt.date) -> bool:
        """Whether this revision was in force on ``day`` (a date outside is flagged, not refused)."""
        if day < self.effective_from:
            return False
        return self.effective_until is None or day <= self.effective_until

    def permit_valid_until(self, issued_on: dt.date) -> dt.date:
        """Annex 3: a permit is valid for ``permit_validity_years`` from its date of issue.

        The last day of validity is the day before the same calendar date N years later; a permit
        issued on 29 February ends on 28 February.
        """
        years = self.permit_validity_years
        try:
            anniversary = issued_on.replace(year=issued_on.year + years)
        except ValueError:  # 29 February into a non-leap year
            anniversary = issued_on.replace(year=issued_on.year + years, day=28) + dt.timedelta(days=1)
        return anniversary - dt.timedelta(days=1)


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise RuleProfileError(f"{where}: missing '{key}'")
    value = table[key]
    if kind is int and isinstance(value, bool):
        raise RuleProfileError(f"{where}: '{key}' must be an integer")
    if not isinstance(value, kind):
        raise RuleProfileError(f"{where}: '{key}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def _positive(table: Mapping[str, Any], key: str, where: str) -> int:
    value: int = _require(table, key, int, where)
    if value <= 0:
        raise RuleProfileError(f"{where}: '{key}' must be positive, got {value}")
    return value


def _clock(table: Mapping[str, Any], key: str, where: str) -> dt.time:
    text: str = _require(table, key, str, where)
    try:
        return dt.time.fromisoformat(text)
    except ValueError as exc:
        raise RuleProfileError(f"{where}: '{key}' is not a time of day: {text!r}") from exc


def parse_profile(data: Mapping[str, Any], *, source: str = "<profile>") -> RuleProfile:
    """Build a profile from parsed TOML, raising :class:`RuleProfileError` on any broken invariant."""
    head = _require(data, "profile", dict, source)
    wt = _require(data, "working_time", dict, source)
    dl = _require(data, "deadlines", dict, source)
    permit = _require(data, "permit", dict, source)
    platform = _require(data, "platform", dict, source)

    effective_from = _require(head, "effective_from", dt.date, f"{source} [profile]")
    effective_until = head.get("effective_until")
    if effective_until is not None:
        if not isinstance(effective_until, dt.date):
            raise RuleProfileError(f"{source} [profile]: 'effective_until' must be a date")
        if effective_until < effective_from:
            raise RuleProfileError(f"{source} [profile]: effective_until is before effective_from")
    tz_name = _require(head, "timezone", str, f"{source} [profile]")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuleProfileError(f"{source} [profile]: unknown time zone {tz_name!r}") from exc

    weekdays = _require(wt, "weekdays", list, f"{source} [working_time]")
    if not weekdays or any(not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays):
        raise RuleProfileError(f"{source} [working_time]: weekdays must be ISO weekdays 1..7")
    working_time = WorkingTime(
        weekdays=frozenset(weekdays),
        start=_clock(wt, "start", f"{source} [working_time]"),
        end=_clock(wt, "end", f"{source} [working_time]"),
        lunch_start=_clock(wt, "lunch_start", f"{source} [working_time]"),
        lunch_end=_clock(wt, "lunch_end", f"{source} [working_time]"),
    )
    if (
        not (working_time.start <= working_time.lunch_start <= working_time.lunch_end <= working_time.end)
        or working_time.start >= working_time.end
    ):
        raise RuleProfileError(f"{source} [working_time]: hours must satisfy start <= lunch <= end")

    where = f"{source} [deadlines]"
    deadlines = Deadlines(
        service_term=_positive(dl, "service_term", where),
        completeness_check=_positive(dl, "completeness_check", where),
        examination=_positive(dl, "examination", where),
        hearing_notice_before_term_end=_positive(dl, "hearing_notice_before_term_end", where),
        hearing_within_after_notice=_positive(dl, "hearing_within_after_notice", where),
        rules_change_notice=_positive(dl, "rules_change_notice", where),
        complaint_forwarding=_positive(dl, "complaint_forwarding", where),
        complaint_favourable_decision=_positive(dl, "complaint_favourable_decision", where),
        complaint_review_provider=_positive(dl, "complaint_review_provider", where),
        complaint_review_quality_body=_positive(dl, "complaint_review_quality_body", where),
    )
    if deadlines.completeness_check + deadlines.examination > deadlines.service_term:
        raise RuleProfileError(f"{where}: completeness + examination exceed the service term")

    return RuleProfile(
        id=_require(head, "id", str, f"{source} [profile]"),
        revision=_positive(head, "revision", f"{source} [profile]"),
        title=_require(head, "title", str, f"{source} [profile]"),
        legal_act=_require(head, "legal_act", str, f"{source} [profile]"),
        effective_from=effective_from,
        effective_until=effective_until,
        timezone=timezone,
        working_time=working_time,
        deadlines=deadlines,
        permit_validity_years=_positive(permit, "validity_years", f"{source} [permit]"),
        platform_min_nodes=_positive(platform, "min_nodes", f"{source} [platform]"),
    )


def load_profile_file(path: Path) -> RuleProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleProfileError(f"rule profile not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleProfileError(f"{path}: not valid TOML: {exc}") from exc
    return parse_profile(data, source=str(path))


@dataclass(frozen=True, slots=True)
class ProfileCatalog:
    """All known profile revisions; picks one by key or by the date a request arrived."""

    profiles: tuple[RuleProfile, ...]

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> ProfileCatalog:
        found: dict[str, RuleProfile] = {}
        for directory in dirs:
            for path in sorted(directory.glob("*.toml")):
                profile = load_profile_file(path)
                if profile.key in found:
                    raise RuleProfileError(f"{path}: duplicate profile {profile.key}")
                found[profile.key] = profile
        if not found:
            raise RuleProfileError("no rule profiles found")
        return cls(tuple(sorted(found.values(), key=lambda p: (p.id, p.revision))))

    def get(self, key: str) -> RuleProfile:
        for profile in self.profiles:
            if profile.key == key:
                return profile
        known = ", ".join(p.key for p in self.profiles)
        raise RuleProfileError(f"unknown rule profile {key!r} (known: {known})")

    def in_force_on(self, day: dt.date, *, profile_id: str | None = None) -> RuleProfile | None:
        """The revision in force on ``day``, or ``None`` when no profile covers it."""
        for profile in reversed(self.profiles):
            if (profile_id is None or profile.id == profile_id) and profile.covers(day):
                return profile
        return None


def bundled_catalog() -> ProfileCatalog:
    return ProfileCatalog.from_dirs([BUNDLED_PROFILES_DIR])


def default_profile() -> RuleProfile:
    """The profile the project ships as active; services may configure another key."""
    return bundled_catalog().get(DEFAULT_PROFILE_KEY)
