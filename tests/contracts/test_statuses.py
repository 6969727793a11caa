"""The Python enums carry the same numbers as the constants in the Vyper sources."""

from __future__ import annotations

import re

import pytest

from contracts.artifacts import SOURCES_DIR
from contracts.statuses import IssuerStatus, IssuerStatusCause, PermitStatus


def _constants(name: str) -> dict[str, int]:
    source = (SOURCES_DIR / f"{name}.vy").read_text(encoding="utf-8")
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+): constant\(uint8\) = (\d+)", source, re.MULTILINE)}


@pytest.mark.parametrize(
    ("source", "prefix", "enum"),
    [
        ("PermitRegistry", "STATUS_", PermitStatus),
        ("IssuerRegistry", "STATUS_", IssuerStatus),
        ("IssuerRegistry", "CAUSE_", IssuerStatusCause),
    ],
)
def test_enum_matches_source(source, prefix, enum):
    constants = {k.removeprefix(prefix): v for k, v in _constants(source).items() if k.startswith(prefix)}
    assert {name: enum[name].value for name in constants} == constants
    assert {m.name for m in enum if m.value != 0} <= set(constants)


def test_permit_registry_reports_issuer_statuses_in_the_issuer_registry_numbers():
    permit, issuer = _constants("PermitRegistry"), _constants("IssuerRegistry")
    for status in ("ACTIVE", "SUSPENDED", "REVOKED"):
        assert permit[f"ISSUER_{status}"] == issuer[f"STATUS_{status}"] == IssuerStatus[status]
