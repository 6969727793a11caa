"""The machine on real py-evm blocks: the port's seal hash is the one the node's import check verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.bft.extra_data import BftExtraData, decode_extra_data, verify_commit_seals
from node.chain_service import ChainService
from node.consensus.exceptions import MalformedMessage
from node.consensus.qbft.actions import CommitBlock, Rejected
from node.consensus.qbft.chain_port import ChainBlock, ChainBlockPort, sealed_block
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.messages import make_commit, make_prepare, make_proposal
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.producer import ChainConsensusHost
from node.consensus.qbft.state_machine import QbftMachine
from node.exceptions import InvalidBlock
from node.permissioning import AccountAllowlist
from node.storage.lmdb_store import LmdbStore
from node.txpool.pool import TxPool
from tests.node.conftest import make_genesis

PRIVATE = [bytes([i + 1]) * 32 for i in range(4)]


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[ChainService]:
    store = LmdbStore(tmp_path / "chain")
    service = ChainService(store, make_genesis([PrivateKey(k) for k in PRIVATE]))
    yield service
    store.close()


def candidate(chain: ChainService, proposer: LocalKeySigner, round_number: int = 0) -> ChainBlock:
    head = chain.head()
    extra = BftExtraData(
        b"\x00" * 32, chain.validators_after(head.block_number), None, round_number, ()
    ).encode()
    block, _ = chain.build_candidate(
        [], timestamp=head.timestamp + 1, coinbase=proposer.address, extra_data=extra
    )
    return ChainBlock(block)


def test_blocks_round_trip_and_garbage_is_malformed(chain: ChainService) -> None:
    port = ChainBlockPort(chain)
    block = candidate(chain, LocalKeySigner(PRIVATE[0]))
    decoded = port.decode_block(port.encode_block(block))
    assert decoded.hash == block.hash and decoded.number == 1
    assert decoded.proposer == LocalKeySigner(PRIVATE[0]).address
    with pytest.raises(MalformedMessage):
        port.decode_block(b"\xc3garbage")
    assert port.is_valid(decoded)
    tampered = ChainBlock(block.block.copy(header=block.block.header.copy(gas_used=1)))
    with pytest.raises(InvalidBlock):
        port.is_valid(tampered)


def test_seal_hash_depends_on_the_round_but_the_block_hash_does_not(chain: ChainService) -> None:
    port = ChainBlockPort(chain)
    block = candidate(chain, LocalKeySigner(PRIVATE[0]))
    assert port.seal_hash(block, 0) != port.seal_hash(block, 3)
    decision = CommitBlock(block, 3, (), ())
    assert sealed_block(decision).hash == block.hash


def test_a_height_decided_by_the_machine_imports_with_its_seals(chain: ChainService) -> None:
    port = ChainBlockPort(chain)
    signers = sorted((LocalKeySigner(k) for k in PRIVATE), key=lambda s: s.address)
    info = HeightInfo(1, tuple(s.address for s in signers), None, float(chain.head().timestamp))
    proposer = next(s for s in signers if s.address == info.proposer(0))
    me = next(s for s in signers if s is not proposer)
    others = [s for s in signers if s not in (proposer, me)]
    machine = QbftMachine(QbftConfig(block_period=0.0), me, port)
    machine.start_height(info, info.parent_timestamp)

    block = candidate(chain, proposer)
    actions = machine.on_message(make_proposal(proposer, port, 1, 0, block).encode(), 1.0)
    assert not [a for a in actions if isinstance(a, Rejected)]
    for signer in (proposer, others[0]):
        machine.on_message(make_prepare(signer, 1, 0, block.hash).encode(), 1.0)
    decision = None
    for signer in (proposer, others[0]):
        seal = signer.sign(port.seal_hash(block, 0))
        for action in machine.on_message(make_commit(signer, 1, 0, block.hash, seal).encode(), 1.0):
            if isinstance(action, CommitBlock):
                decision = action
    assert decision is not None and len(decision.seals) == 3

    sealed = sealed_block(decision)
    assert set(verify_commit_seals(sealed.header, info.validators)) == set(decision.signers)
    chain.commit_block(sealed)
    assert chain.head().hash == block.hash
    assert decode_extra_data(chain.head().extra_data).seals == decision.seals
    assert rlp.encode(chain.block_by_number(1)) == rlp.encode(sealed)


def test_round_zero_starts_when_the_proposer_may_build(chain: ChainService) -> None:
    # The proposer builds no earlier than head + 1 - drift (chain time may lead the clock by the
    # drift). Round 0 must start then, not at `now`: counted from `now`, a round shorter than that
    # wait expired every round 0, and only round-1 proposers ever proposed.
    pool = TxPool(
        chain,
        AccountAllowlist(chain.store, chain.genesis.allowed_accounts),
        block_gas_limit=chain.block_gas_limit,
    )
    host = ChainConsensusHost(chain, pool, chain.store, Address(b"\x01" * 20), max_timestamp_drift=2)
    head = 1_000.0
    assert host.round_zero_base(head, now=1_010.5) == head  # the chain is behind: start at once
    assert host.round_zero_base(head, now=999.5) == 999.5  # a little ahead: still at once
    assert host.round_zero_base(head, now=998.2) == 999.0  # ahead by more than the drift: wait
    assert host.round_zero_base(head, now=990.0) == 999.0
