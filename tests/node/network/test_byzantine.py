"""A Byzantine validator on real processes: the test process takes over node-4's keys (its Ed25519
identity and its validator key), speaks the real transport to the four honest nodes and sends them
conflicting proposals (one with a bad state root), equivocating prepares and commits with forged seals,
round changes and garbage. The honest four still finalize transactions on one chain. A node whose
identity is not allow-listed cannot connect at all."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_typing import Address, Hash32

from node.abc import MessageKind
from node.bft.extra_data import VANITY_LENGTH, BftExtraData
from node.chain_service import ChainService
from node.consensus.qbft.chain_port import ChainBlock, ChainBlockPort
from node.consensus.qbft.messages import make_commit, make_prepare, make_proposal, make_round_change
from node.consensus.qbft.ports import LocalKeySigner
from node.genesis import load_genesis
from node.keys import load_key
from node.p2p import (
    NetworkId,
    NodeIdentity,
    PeerAllowList,
    StaticPeer,
    TcpTransport,
    TransportConfig,
    load_or_create_identity,
)
from node.storage.lmdb_store import LmdbStore
from tests.node.network.cluster import assert_same_chain, height, rpc, wait_final_everywhere
from tests.node.network.outage_net import OutageNet

pytestmark = [pytest.mark.slow, pytest.mark.network]

BYZANTINE = 4


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OutageNet]:
    network = OutageNet.start(Path(tmp_path_factory.mktemp("byzantine")))
    try:
        yield network
    finally:
        network.stop()


def _honest_peers(net: OutageNet) -> tuple[StaticPeer, ...]:
    peers = []
    for config in net.configs[:BYZANTINE]:
        assert config.p2p is not None
        identity = load_or_create_identity(config.p2p.key_path)
        peers.append(StaticPeer(identity.node_id, "127.0.0.1", config.p2p.port))
    return tuple(peers)


def _transport(net: OutageNet, identity: NodeIdentity) -> TcpTransport:
    genesis = load_genesis(net.configs[0].genesis_path)
    genesis_hash = bytes.fromhex(rpc(net.url(0), "eth_getBlockByNumber", ["0x0", False])["hash"][2:])
    return TcpTransport(
        identity,
        NetworkId(genesis.chain_id, genesis_hash),
        PeerAllowList(genesis.allowed_nodes),
        TransportConfig(listen_port=0, static_peers=_honest_peers(net), dial_backoff_base=0.1),
    )


async def _wait_connected(transport: TcpTransport, count: int, timeout: float) -> bool:
    async def connected() -> None:
        while transport.peer_count() < count:
            await asyncio.sleep(0.05)

    try:
        async with asyncio.timeout(timeout):
            await connected()
    except TimeoutError:
        return False
    return True


def _forged_messages(net: OutageNet) -> list[bytes]:
    """Everything a validator with a valid key can sign against the next height, badly."""
    config = net.configs[BYZANTINE]
    key = load_key(config.key_path)
    signer = LocalKeySigner(key.to_bytes())
    store = LmdbStore(config.data_dir)  # the real node-4 is down: its store is ours now
    try:
        chain = ChainService(store, load_genesis(config.genesis_path))
        port = ChainBlockPort(chain)
        head = chain.head()
        next_height = int(head.block_number) + 1
        extra = BftExtraData(
            vanity=b"\x00" * VANITY_LENGTH,
            validators=chain.validators_after(int(head.block_number)),
            vote=None,
            round=0,
            seals=(),
        ).encode()
        good, _ = chain.build_candidate(
            [], timestamp=int(head.timestamp) + 1, coinbase=Address(signer.address), extra_data=extra
        )
        bad_root = good.copy(header=good.header.copy(state_root=b"\x11" * 32))
        other = good.copy(header=good.header.copy(timestamp=int(head.timestamp) + 2))
        messages: list[bytes] = []
        for round_number in range(3):
            # Conflicting proposals for one height and round, one of them with a bad state root.
            for block in (good, other, bad_root):
                messages.append(
                    make_proposal(signer, port, next_height, round_number, ChainBlock(block)).encode()
                )
            # Equivocating votes: two digests in the same round, commits with forged seals.
            for digest in (Hash32(os.urandom(32)), Hash32(ChainBlock(other).hash)):
                messages.append(make_prepare(signer, next_height, round_number, digest).encode())
                messages.append(
                    make_commit(signer, next_height, round_number, digest, os.urandom(65)).encode()
                )
        # A lone round change far ahead cannot drag anyone there (f+1 are needed).
        messages.append(make_round_change(signer, port, next_height, 50).encode())
        return messages
    finally:
        store.close()


def test_a_byzantine_validator_cannot_fork_or_halt_the_honest_four(net: OutageNet) -> None:
    urls = net.devnet.urls
    sender = net.devnet.account(0)
    wait_final_everywhere(sender.transfer(urls[0], net.devnet.chain_id), urls)
    net.kill(BYZANTINE)
    forged = _forged_messages(net)
    config = net.configs[BYZANTINE]
    assert config.p2p is not None
    identity = load_or_create_identity(config.p2p.key_path)

    async def attack() -> None:
        transport = _transport(net, identity)
        await transport.start()
        try:
            assert await _wait_connected(transport, BYZANTINE, 20.0), "the honest nodes refused node-4's key"
            for _ in range(3):
                for message in forged:
                    transport.broadcast(MessageKind.CONSENSUS, message)
                tx = await asyncio.to_thread(sender.transfer, urls[1], net.devnet.chain_id)
                await asyncio.to_thread(wait_final_everywhere, tx, net.live_urls(), timeout=30)
            transport.broadcast(MessageKind.CONSENSUS, b"\xff" * 100)  # garbage: blame the connection
            transport.broadcast(MessageKind.STATUS, b"\xc2\x80\x80")  # a lying status
            tx = await asyncio.to_thread(sender.transfer, urls[2], net.devnet.chain_id)
            await asyncio.to_thread(wait_final_everywhere, tx, net.live_urls(), timeout=30)
        finally:
            await transport.stop()

    asyncio.run(attack())
    logs = "".join((c.path.parent / "node.log").read_text() for c in net.configs[:BYZANTINE])
    assert f"p2p.peer_misbehaved peer={identity.node_id}" in logs  # it was caught and disconnected
    assert "qbft wrong_proposer" in logs or "qbft equivocation" in logs
    assert_same_chain(net.live_urls())
    assert min(height(u) for u in net.live_urls()) >= 4


def test_an_unknown_node_cannot_connect_until_an_admin_allows_it(net: OutageNet) -> None:
    stranger = NodeIdentity.generate()

    async def connects(count: int, timeout: float) -> bool:
        transport = _transport(net, stranger)
        await transport.start()
        try:
            return await _wait_connected(transport, count, timeout)
        finally:
            await transport.stop()

    assert asyncio.run(connects(1, 3.0)) is False
    allowed = set(rpc(net.url(0), "perm_getNodesAllowlist"))
    assert len(allowed) == 5 and all(e.startswith("enode://") for e in allowed)
    enode = f"enode://{stranger.node_id}@127.0.0.1:30303"
    assert rpc(net.url(0), "perm_addNodesToAllowlist", [[enode]]) == "Success"
    assert f"enode://{stranger.node_id}" in rpc(net.url(0), "perm_getNodesAllowlist")
    assert asyncio.run(connects(1, 10.0)) is True  # node-0 lets it in; the others still refuse it
    assert rpc(net.url(0), "perm_removeNodesFromAllowlist", [[stranger.node_id]]) == "Success"
    assert asyncio.run(connects(1, 3.0)) is False
