"""Prometheus metrics of a node, served as text on ``GET /metrics`` of the RPC port.

A private registry (not the process-global one) so several nodes in one test process never share
counters.
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockAPI, ReceiptAPI
from prometheus_client import CollectorRegistry, Counter, Gauge, make_asgi_app

from node.rpc.server import ASGIApp


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.head = Gauge(
            "permitchain_chain_head_block", "Number of the latest committed block", registry=self.registry
        )
        self.blocks = Counter(
            "permitchain_blocks_committed", "Blocks committed by this node", registry=self.registry
        )
        self.transactions = Counter(
            "permitchain_transactions_committed", "Transactions in committed blocks", registry=self.registry
        )
        self.gas = Counter("permitchain_gas_used", "Gas used by committed blocks", registry=self.registry)
        self.pool_size = Gauge(
            "permitchain_txpool_transactions", "Transactions in the pool", registry=self.registry
        )
        self.store_bytes = Gauge(
            "permitchain_store_bytes", "Bytes the LMDB store uses", registry=self.registry
        )

    def block_committed(self, block: BlockAPI, receipts: tuple[ReceiptAPI, ...]) -> None:
        self.head.set(block.number)
        self.blocks.inc()
        self.transactions.inc(len(block.transactions))
        self.gas.inc(block.header.gas_used)


class WithMetrics:
    """ASGI app that answers ``GET /metrics`` and passes everything else to the RPC app."""

    def __init__(self, app: ASGIApp, metrics: NodeMetrics) -> None:
        self._app = app
        self._metrics_app = make_asgi_app(registry=metrics.registry)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("path") == "/metrics" and scope.get("method") == "GET":
            await self._metrics_app(scope, receive, send)
            return
        await self._app(scope, receive, send)
