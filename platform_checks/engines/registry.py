"""The engine adapters a check run asks, in order; add a family by adding its probe here."""

from __future__ import annotations

from platform_checks.engines.base import EngineProbe
from platform_checks.engines.clique import CliqueProbe
from platform_checks.engines.ibft2 import Ibft2Probe
from platform_checks.engines.qbft import QbftProbe


def default_engine_probes() -> tuple[EngineProbe, ...]:
    return (QbftProbe(), Ibft2Probe(), CliqueProbe())
