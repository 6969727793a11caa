"""The node process: chain, pool, producer, events, RPC server and metrics wired together.

``NodeService`` owns the store for the life of the process. ``serve`` runs the RPC server (uvicorn, on
the configured loopback-by-default address) and the block producer on one event loop and stops both on
SIGTERM/SIGINT; a ``kill -9`` instead loses nothing committed (see :mod:`node.storage.lmdb_store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import time
from typing import TYPE_CHECKING

import uvicorn
from eth.abc import BlockAPI, ReceiptAPI

from node.abc import TxPoolAPI
from node.admin import NetworkView, NodeAdmin
from node.chain_service import ChainService
from node.config import NodeConfig
from node.events import NodeEvents
from node.genesis import load_genesis
from node.keys import key_address, load_key
from node.metrics import NodeMetrics, WithMetrics
from node.permissioning import AccountAllowlist
from node.producer import SingleNodeProducer
from node.rpc import Namespace, create_rpc_app
from node.rpc.methods import qbft as qbft_methods
from node.storage.lmdb_store import LmdbStore
from node.txpool.pool import TxPool
from permitchain import __version__

if TYPE_CHECKING:
    from node.consensus.engine import NetworkedNode

logger = logging.getLogger("node.service")


class NodeService:
    producer: SingleNodeProducer
    """Only on a lone node; a networked node's QBFT producer is ``self.network.producer``."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        genesis = load_genesis(config.genesis_path)
        key = load_key(config.key_path)
        self.address = key_address(key)
        self.store = LmdbStore(config.data_dir)
        self.chain = ChainService(self.store, genesis)
        self.allowlist = AccountAllowlist(self.store, genesis.allowed_accounts)
        self.pool = TxPool(self.chain, self.allowlist, block_gas_limit=genesis.gas_limit, limits=config.pool)
        # The empty-block period is a network setting (genesis); the rest of the timing is local.
        timing = dataclasses.replace(
            config.producer, empty_block_period=float(genesis.bft.empty_block_period_seconds)
        )
        self.network: NetworkedNode | None = None
        rpc_pool: TxPoolAPI = self.pool
        network_view: NetworkView | None = None
        namespaces: list[Namespace] = []
        if config.p2p is None:
            self.producer = SingleNodeProducer(self.chain, self.pool, key, timing=timing)
            self.pool.set_on_pending(self.producer.notify_pending)
        else:
            # Imported here: a lone node never loads the transport and consensus stack.
            from node.consensus.engine import NetworkedNode  # noqa: PLC0415

            network = NetworkedNode(
                settings=config.p2p,
                genesis=genesis,
                chain=self.chain,
                pool=self.pool,
                store=self.store,
                key=key,
            )
            self.network = network
            rpc_pool = network.pool
            network_view = NetworkView(
                node_id=network.identity.node_id,
                p2p_host=config.p2p.host,
                p2p_port=config.p2p.port,
                peers=network.transport.peers,
                sync_progress=network.sync_progress,
                node_allowlist=network.allowlist_admin,
            )
            namespaces.append(qbft_methods.namespace(self.chain, network.votes))
        self.events = NodeEvents()
        self.metrics = NodeMetrics()
        self.chain.add_commit_listener(self._on_commit)
        admin = NodeAdmin(
            public_key=key.public_key,
            name=config.name,
            host=config.rpc_host,
            genesis=genesis,
            allowlist=self.allowlist,
            network=network_view,
        )
        rpc = create_rpc_app(
            reader=self.chain,
            pool=rpc_pool,
            events=self.events,
            admin=admin,
            client_version=f"permitchain/v{__version__}/python",
            namespaces=namespaces,
        )
        self.app = WithMetrics(rpc, self.metrics)

    def _on_commit(self, block: BlockAPI, receipts: tuple[ReceiptAPI, ...]) -> None:
        self.pool.remove_included(block)  # blocks other validators proposed or sync imported, too
        if self.network is not None:
            self.network.on_commit()
        self.events.publish(block, self.chain.block_receipts(block))
        self.metrics.block_committed(block, receipts)
        self.metrics.pool_size.set(len(self.pool))
        self.metrics.store_bytes.set(self.store.disk_bytes())
        logger.info(
            "block_committed",
            extra={
                "number": block.number,
                "hash": "0x" + block.hash.hex(),
                "transactions": len(block.transactions),
                "gas_used": block.header.gas_used,
            },
        )

    async def _producer_run(self) -> None:
        await self.producer.run()

    async def serve(self) -> None:
        """Run until SIGTERM/SIGINT (or cancellation), then close the store."""
        loop = asyncio.get_running_loop()
        self.events.attach(loop)
        server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=self.config.rpc_host,
                port=self.config.rpc_port,
                log_config=None,
                access_log=False,
                lifespan="off",
                ws="websockets-sansio",
            )
        )
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        head = self.chain.head()
        logger.info(
            "node_starting",
            extra={
                "chain_id": self.chain.chain_id,
                "genesis": "0x" + self.chain.genesis_hash.hex(),
                "head": head.block_number,
                "validator": "0x" + self.address.hex(),
                "rpc": f"http://{self.config.rpc_host}:{self.config.rpc_port}",
            },
        )
        started = time.monotonic()
        tasks = [
            asyncio.create_task(server.serve(), name="rpc"),
            asyncio.create_task(
                self.network.run() if self.network is not None else self._producer_run(), name="producer"
            ),
            asyncio.create_task(stop.wait(), name="stop"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.get_name() != "stop" and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            server.should_exit = True
            for task in tasks:
                if task.get_name() != "rpc":
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.store.close()
            logger.info("node_stopped", extra={"uptime_seconds": round(time.monotonic() - started, 1)})
