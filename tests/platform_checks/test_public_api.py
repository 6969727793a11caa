"""The package's public surface: every exported name exists and errors share the project's root."""

from __future__ import annotations

import platform_checks
from permitchain.errors import PermitChainError
from platform_checks import exceptions


def test_exports_exist() -> None:
    for name in platform_checks.__all__:
        assert hasattr(platform_checks, name), name


def test_every_error_descends_from_the_package_root() -> None:
    errors = [
        v
        for v in vars(exceptions).values()
        if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == exceptions.__name__
    ]
    assert len(errors) >= 5
    for error in errors:
        assert issubclass(error, exceptions.PlatformCheckError)
        assert issubclass(error, PermitChainError)
        assert error.code != PermitChainError.code
