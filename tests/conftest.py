"""Fixtures shared by the whole suite.

Package-specific fixtures live beside their tests; anything two packages need lives here. The
integration fixture that starts a real five-node network is session-scoped and reused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from permitchain.rule_profile import RuleProfile, default_profile

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def rule_profile() -> RuleProfile:
    return default_profile()
