"""Settings fail fast: no default secret outside dev/test, staff need the BIN, the profile is configurable."""

from __future__ import annotations

import pytest

from registry_api.core.config import load_settings
from registry_api.exceptions import ConfigurationError


def test_production_refuses_a_missing_or_short_secret(monkeypatch) -> None:
    monkeypatch.delenv("REGISTRY_TOKEN_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="TOKEN_SECRET"):
        load_settings(environment="production")
    with pytest.raises(ConfigurationError, match="TOKEN_SECRET"):
        load_settings(environment="production", token_secret="short")
    ok = load_settings(environment="production", token_secret="x" * 40)
    assert ok.secret_bytes() == b"x" * 40


def test_dev_and_test_get_a_random_secret_never_a_fixed_one() -> None:
    a, b = load_settings(environment="test"), load_settings(environment="test")
    assert len(a.secret_bytes()) >= 32
    assert a.secret_bytes() != b.secret_bytes()


def test_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "production")
    monkeypatch.setenv("REGISTRY_TOKEN_SECRET", "s" * 32)
    monkeypatch.setenv("REGISTRY_REGULATOR_BIN", "940140000385")
    monkeypatch.setenv("REGISTRY_STAFF", '[{"iin": "921029350851", "role": "head"}]')
    settings = load_settings()
    assert settings.staff[0].role == "head"


def test_staff_without_the_regulator_bin_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="REGULATOR_BIN"):
        load_settings(environment="test", staff=[{"iin": "921029350851", "role": "officer"}])


def test_unknown_settings_and_profiles_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        load_settings(environment="test", no_such_setting=1)
    with pytest.raises(ConfigurationError, match="unknown rule profile"):
        load_settings(environment="test", profile_key="kz-130-nk@9")


def test_the_active_profile_is_configurable(rule_profile) -> None:
    older = load_settings(environment="test", profile_key="kz-130-nk@1")
    assert older.profile.key == "kz-130-nk@1"
    assert load_settings(environment="test").profile.key == rule_profile.key
