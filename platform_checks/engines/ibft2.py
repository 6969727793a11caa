"""IBFT 2.0 (Hyperledger Besu): RLP-null "no vote", 4-byte round, ``ibft_`` methods."""

from __future__ import annotations

from collections.abc import Sequence

from platform_checks.block_header import BlockHeader
from platform_checks.engines.base import Clock, EngineFinding, RpcCaller
from platform_checks.engines.bft_extra_data import BftLayout
from platform_checks.engines.bft_probe import probe_bft


class Ibft2Probe:
    name = "ibft2"

    async def probe(self, node: RpcCaller, headers: Sequence[BlockHeader], clock: Clock) -> EngineFinding:
        return await probe_bft(node, headers, clock, layout=BftLayout.IBFT2, rpc_prefix="ibft")
