"""QBFT (EEA spec, Hyperledger Besu): empty-list "no vote", RLP-integer round, ``qbft_`` methods."""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks.block_header import BlockHeader
from platform_checks.engines.base import Clock, EngineFinding, RpcCaller
from platform_checks.engines.bft_extra_data import BftLayout
from platform_checks.engines.bft_probe import probe_bft


class QbftProbe:
    name = "qbft"

    async def probe(self, node: RpcCaller, headers: Sequence[BlockHeader], clock: Clock) -> EngineFinding:
        return await probe_bft(node, headers, clock, layout=BftLayout.QBFT, rpc_prefix="qbft")
