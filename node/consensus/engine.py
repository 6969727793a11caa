"""The networked node: p2p transport, QBFT producer, block sync and transaction gossip, built together.

:class:`NetworkedNode` is what :class:`node.service.NodeService` runs instead of the single-node producer
when the node configuration has a ``p2p`` section. It owns the node's Ed25519 identity, the peer
allow-list (genesis ``permissioning.nodes``, then changes persisted in the node's LMDB store), the
:class:`~node.p2p.TcpTransport`, :class:`~node.sync.BlockSync`, :class:`~node.sync.TxGossip` and, unless the
node is an observer, the :class:`~node.consensus.qbft.producer.QbftProducer`. A validator stays out of
consensus while block sync says it is behind, so a validator restarted with an empty data directory
first learns the chain, then votes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import rlp
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.chain_service import ChainService
from node.config import P2pSettings
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.producer import QbftProducer
from node.genesis import GenesisConfig
from node.p2p import (
    AllowListChange,
    NetworkId,
    PeerAllowList,
    StaticPeer,
    TcpTransport,
    TransportConfig,
    load_or_create_identity,
)
from node.p2p.identity import validate_node_id
from node.permissioning import AllowlistChangeRejected
from node.rpc.admin_api import SyncProgress
from node.rpc.methods.qbft import QbftVotesAPI
from node.storage.lmdb_store import LmdbStore
from node.sync import BlockSync, GossipingPool, TxGossip
from node.txpool.pool import TxPool
from node.voting import PendingVotes, VoteRejected

_log = logging.getLogger("node.network")

NODES_NAMESPACE = "permissioning"
NODES_KEY = b"nodes"
MAX_NODE_ALLOWLIST = 1024


def load_node_allowlist(store: LmdbStore, genesis: GenesisConfig) -> PeerAllowList:
    """Return the peer allow-list: the stored one, else genesis's; every later change is persisted."""
    stored = store.get(NODES_NAMESPACE, NODES_KEY)
    ids = genesis.allowed_nodes if stored is None else [bytes(i).hex() for i in rlp.decode(stored)]
    allowlist = PeerAllowList(ids)

    def persist(_change: AllowListChange, _node_id: str) -> None:
        store.put_now(NODES_NAMESPACE, NODES_KEY, rlp.encode([bytes.fromhex(i) for i in allowlist]))

    if stored is None:
        persist(AllowListChange.ADDED, "")
    allowlist.subscribe(persist)
    return allowlist


class NodeAllowlistAdmin:
    """``perm_*NodesToAllowlist``: change the peer allow-list; enode URLs or bare ids are accepted."""

    def __init__(self, allowlist: PeerAllowList, own_id: str) -> None:
        self.allowlist = allowlist
        self.own_id = own_id

    @staticmethod
    def node_id_of(entry: str) -> str:
        text = entry.strip().removeprefix("enode://").split("@", 1)[0]
        try:
            return validate_node_id(text)
        except Exception as exc:
            raise AllowlistChangeRejected(f"not a node id or enode URL: {entry[:80]!r}") from exc

    def nodes(self) -> list[str]:
        return list(self.allowlist)

    def add(self, entries: Sequence[str]) -> None:
        ids = [self.node_id_of(e) for e in entries]
        if not ids or len(set(ids)) != len(ids):
            raise AllowlistChangeRejected("give distinct node ids")
        present = [i for i in ids if i in self.allowlist]
        if present:
            raise AllowlistChangeRejected(f"already allowed: {', '.join(i[:16] for i in present)}")
        if len(self.allowlist) + len(ids) > MAX_NODE_ALLOWLIST:
            raise AllowlistChangeRejected(f"the node allow-list holds at most {MAX_NODE_ALLOWLIST} nodes")
        for node_id in ids:
            self.allowlist.add(node_id)

    def remove(self, entries: Sequence[str]) -> None:
        ids = [self.node_id_of(e) for e in entries]
        if not ids or len(set(ids)) != len(ids):
            raise AllowlistChangeRejected("give distinct node ids")
        absent = [i for i in ids if i not in self.allowlist]
        if absent:
            raise AllowlistChangeRejected(f"not on the allow-list: {', '.join(i[:16] for i in absent)}")
        if self.own_id in ids:
            raise AllowlistChangeRejected("a node cannot remove itself from its own allow-list")
        for node_id in ids:
            self.allowlist.remove(node_id)


class ConsensusVotes(QbftVotesAPI):
    """``qbft_`` RPC over the chain, this validator's pending votes and its running QBFT instance."""

    def __init__(self, chain: ChainService, votes: PendingVotes, producer: QbftProducer | None) -> None:
        self.chain = chain
        self.votes = votes
        self.producer = producer

    def validators_after(self, block_number: int) -> tuple[Address, ...]:
        return self.chain.validators_after(block_number)

    def propose_vote(self, candidate: Address, add: bool) -> None:
        if self.producer is None:
            raise VoteRejected("an observer node does not vote")
        head = int(self.chain.head().block_number)
        self.votes.propose(candidate, add, self.chain.validators_after(head))

    def discard_vote(self, candidate: Address) -> bool:
        return self.votes.discard(candidate)

    def pending_votes(self) -> dict[Address, bool]:
        current = self.chain.validators_after(int(self.chain.head().block_number))
        return {c: add for c, add in self.votes.pending().items() if add != (c in current)}

    def current_round(self) -> int | None:
        if self.producer is None or self.producer.runner.waiting:
            return None
        return self.producer.runner.machine.round


class NetworkedNode:
    """Transport, sync, gossip and (for validators) QBFT of one node; see the module docstring."""

    def __init__(
        self,
        *,
        settings: P2pSettings,
        genesis: GenesisConfig,
        chain: ChainService,
        pool: TxPool,
        store: LmdbStore,
        key: PrivateKey,
    ) -> None:
        self.settings = settings
        self.identity = load_or_create_identity(settings.key_path)
        self.allowlist = load_node_allowlist(store, genesis)
        self.allowlist_admin = NodeAllowlistAdmin(self.allowlist, self.identity.node_id)
        self.transport = TcpTransport(
            self.identity,
            NetworkId(genesis.chain_id, bytes(chain.genesis_hash)),
            self.allowlist,
            TransportConfig(
                listen_host=settings.host,
                listen_port=settings.port,
                static_peers=tuple(
                    p
                    for p in (StaticPeer.parse(s) for s in settings.static_peers)
                    if p.node_id != self.identity.node_id
                ),
                ping_interval=2.0,
                idle_timeout=10.0,
                dial_backoff_base=0.2,
                dial_backoff_cap=2.0,
            ),
        )
        self.pool = GossipingPool(pool, self.transport)
        self.gossip = TxGossip(pool, self.transport)
        self.sync = BlockSync(chain, self.transport, on_imported=self._on_imported)
        self.producer: QbftProducer | None = None
        pending_votes = PendingVotes(store)
        if not settings.observer:
            request_timeout = (
                settings.request_timeout_ms / 1000
                if settings.request_timeout_ms is not None
                else float(genesis.bft.request_timeout_seconds)
            )
            self.producer = QbftProducer(
                chain,
                pool,
                store,
                LocalKeySigner(key.to_bytes()),
                self.transport,
                config=QbftConfig(
                    block_period=0.0,
                    request_timeout=request_timeout,
                    max_round_timeout=max(request_timeout, settings.max_round_timeout_ms / 1000),
                ),
                empty_block_period=float(genesis.bft.empty_block_period_seconds),
                is_syncing=self.sync.is_syncing,
                votes=pending_votes,
            )
            pool.set_on_pending(self.producer.notify_pending)
        self.votes = ConsensusVotes(chain, pending_votes, self.producer)

    def sync_progress(self) -> SyncProgress | None:
        status = self.sync.progress()
        if status is None:
            return None
        return SyncProgress(status.starting_block, status.current_block, status.highest_block)

    def _on_imported(self) -> None:
        if self.producer is not None:
            self.producer.block_imported()

    def on_commit(self) -> None:
        """A block was committed (by consensus or sync): tell the peers our new head."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.sync.announce)

    _loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.pool.attach(self._loop)
        await self.transport.start()
        _log.info(
            "p2p_started",
            extra={"node_id": self.identity.node_id, "listen": f"{self.settings.host}:{self.settings.port}"},
        )
        tasks = [
            asyncio.create_task(self.sync.run(), name="sync"),
            asyncio.create_task(self.gossip.run(), name="tx-gossip"),
        ]
        if self.producer is not None:
            tasks.append(asyncio.create_task(self.producer.run(), name="qbft"))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.transport.stop()
