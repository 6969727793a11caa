"""Consensus engine adapters: each recognises one engine from RPC and from block headers.

All adapters implement :class:`~platform_checks.engines.base.EngineProbe`; the consensus check asks
every adapter and accepts an engine only when its headers prove it, never on an RPC claim alone.
"""

from __future__ import annotations
