"""The rule profile carries the law's numbers with their dates, and refuses a broken file."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from permitchain.errors import RuleProfileError
from permitchain.rule_profile import (
    BUNDLED_PROFILES_DIR,
    ProfileCatalog,
    bundled_catalog,
    load_profile_file,
    parse_profile,
)


def _bundled_data() -> dict[str, Any]:
    return tomllib.loads((BUNDLED_PROFILES_DIR / "kz-130-nk-r2.toml").read_text(encoding="utf-8"))


def test_bundled_profile_carries_the_numbers_of_order_130(rule_profile) -> None:
    d = rule_profile.deadlines
    assert rule_profile.key == "kz-130-nk@2"
    assert rule_profile.platform_min_nodes == 5  # R-DOC-1.3
    assert (d.completeness_check, d.examination, d.service_term) == (2, 3, 5)  # R-CHK-1/2, R-TIME-2
    assert (d.hearing_notice_before_term_end, d.hearing_within_after_notice) == (3, 2)  # R-HEAR-1
    assert (d.complaint_forwarding, d.complaint_review_provider, d.complaint_review_quality_body) == (
        3,
        5,
        15,
    )
    assert rule_profile.permit_validity_years == 3
    assert rule_profile.timezone.key == "Asia/Almaty"
    assert rule_profile.working_time.start == dt.time(9, 0)
    assert rule_profile.working_time.end == dt.time(18, 30)


def test_catalog_picks_the_revision_in_force_on_a_date() -> None:
    catalog = bundled_catalog()
    before_amendment = catalog.in_force_on(dt.date(2024, 12, 31))
    after_amendment = catalog.in_force_on(dt.date(2025, 1, 8))
    assert before_amendment is not None and before_amendment.revision == 1
    assert after_amendment is not None and after_amendment.revision == 2
    # Repealed by order 224/НҚ from 2026-05-01: nothing covers that date, so callers flag it.
    assert catalog.in_force_on(dt.date(2026, 4, 30)) is after_amendment
    assert catalog.in_force_on(dt.date(2026, 5, 1)) is None
    assert catalog.in_force_on(dt.date(2023, 1, 1)) is None


def test_covers_is_inclusive_at_both_ends(rule_profile) -> None:
    assert rule_profile.covers(rule_profile.effective_from)
    assert rule_profile.effective_until is not None
    assert rule_profile.covers(rule_profile.effective_until)
    assert not rule_profile.covers(rule_profile.effective_until + dt.timedelta(days=1))
    assert not rule_profile.covers(rule_profile.effective_from - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("issued", "last_valid_day"),
    [
        (dt.date(2025, 3, 10), dt.date(2028, 3, 9)),
        (dt.date(2024, 2, 29), dt.date(2027, 2, 28)),
        (dt.date(2025, 12, 31), dt.date(2028, 12, 30)),
    ],
)
def test_permit_validity_counts_years_from_the_issue_date(rule_profile, issued, last_valid_day) -> None:
    assert rule_profile.permit_valid_until(issued) == last_valid_day


def test_a_successor_order_is_a_new_file_not_new_code(tmp_path: Path) -> None:
    data = _bundled_data()
    text = (BUNDLED_PROFILES_DIR / "kz-130-nk-r2.toml").read_text(encoding="utf-8")
    text = text.replace('id = "kz-130-nk"', 'id = "kz-224-nk"').replace("revision = 2", "revision = 1")
    text = text.replace("effective_from = 2025-01-08", "effective_from = 2026-05-01")
    text = text.replace("effective_until = 2026-04-30", "# open-ended")
    text = text.replace("min_nodes = 5", "min_nodes = 7")
    (tmp_path / "kz-224-nk-r1.toml").write_text(text, encoding="utf-8")
    catalog = ProfileCatalog.from_dirs([BUNDLED_PROFILES_DIR, tmp_path])
    successor = catalog.in_force_on(dt.date(2026, 11, 25))
    assert successor is not None
    assert successor.key == "kz-224-nk@1"
    assert successor.platform_min_nodes == 7
    assert successor.effective_until is None
    assert data["platform"]["min_nodes"] == 5  # the bundled file itself is untouched


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("deadlines", "examination", 0, "must be positive"),
        ("deadlines", "examination", "3", "must be int"),
        ("deadlines", "service_term", 4, "exceed the service term"),
        ("platform", "min_nodes", True, "must be an integer"),
        ("working_time", "start", "9 o'clock", "not a time of day"),
        ("working_time", "lunch_start", "08:00", "start <= lunch <= end"),
        ("working_time", "weekdays", [0, 1], "ISO weekdays"),
        ("profile", "timezone", "Mars/Olympus", "unknown time zone"),
        ("profile", "effective_until", dt.date(2020, 1, 1), "before effective_from"),
    ],
)
def test_broken_invariants_are_refused_with_a_clear_message(section, key, value, message) -> None:
    data = _bundled_data()
    data[section][key] = value
    with pytest.raises(RuleProfileError, match=message):
        parse_profile(data, source="test.toml")


def test_missing_section_and_missing_file_are_clear(tmp_path: Path) -> None:
    data = _bundled_data()
    del data["deadlines"]
    with pytest.raises(RuleProfileError, match="missing 'deadlines'"):
        parse_profile(data)
    with pytest.raises(RuleProfileError, match="not found"):
        load_profile_file(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[profile\n", encoding="utf-8")
    with pytest.raises(RuleProfileError, match="not valid TOML"):
        load_profile_file(tmp_path / "bad.toml")


def test_duplicate_and_unknown_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "copy.toml").write_text(
        (BUNDLED_PROFILES_DIR / "kz-130-nk-r2.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(RuleProfileError, match="duplicate profile kz-130-nk@2"):
        ProfileCatalog.from_dirs([BUNDLED_PROFILES_DIR, tmp_path])
    with pytest.raises(RuleProfileError, match="unknown rule profile"):
        bundled_catalog().get("kz-999@1")
    with pytest.raises(RuleProfileError, match="no rule profiles"):
        ProfileCatalog.from_dirs([tmp_path / "empty"])
