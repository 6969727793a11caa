from __future__ import annotations

import threading

import pytest
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_keys.datatypes import PrivateKey
from eth_typing import Address, Hash32
from eth_utils.address import to_checksum_address
from eth_utils.exceptions import ValidationError

from node.abc import CallRequest, LogFilter
from node.bft.extra_data import BftExtraData, sign_commit_seal, with_commit_seals
from node.chain_service import ChainService
from node.exceptions import ConfigError, ExecutionReverted, InvalidBlock, LogRangeTooLarge, UnknownBlock
from node.storage.lmdb_store import LmdbStore
from tests.node.conftest import VALIDATOR_KEY, make_genesis
from tests.node.txs import RECIPIENT, high_s_twin, raw_tx, sender_key, signed_tx

RECIPIENT_BYTES = bytes.fromhex(RECIPIENT[2:])
# Contract whose code emits LOG1(topic=0x2a) with no data, then returns 32 bytes of 0x..07:
# PUSH1 0x2a PUSH1 0 PUSH1 0 LOG1  PUSH1 7 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
LOGGER_RUNTIME = bytes.fromhex("602a60006000a160076000526020" + "6000f3")
# PUSH4 0xdeadbeef PUSH1 0 MSTORE PUSH1 4 PUSH1 28 REVERT: always reverts with 0xdeadbeef
REVERTER_RUNTIME = bytes.fromhex("63deadbeef6000526004601cfd")


def _deployer(runtime: bytes) -> bytes:
    # init code: copy runtime (appended after a 12-byte prefix) to memory and return it
    size = len(runtime)
    prefix = bytes.fromhex(f"60{size:02x}600c60003960{size:02x}6000f3")
    return prefix + runtime


def _extra(validators):
    return BftExtraData(
        vanity=b"\0" * 32, validators=tuple(validators), vote=None, round=0, seals=()
    ).encode()


def produce(chain: ChainService, txs, *, key: PrivateKey = VALIDATOR_KEY, seal: bool = True):
    head = chain.head()
    block, left = chain.build_candidate(
        txs,
        timestamp=head.timestamp + 1,
        coinbase=Address(key.public_key.to_canonical_address()),
        extra_data=_extra(chain.genesis.validators),
    )
    if seal:
        block = block.copy(header=with_commit_seals(block.header, (sign_commit_seal(key, block.header),)))
    return block, left


def test_genesis_head_and_identity(chain):
    head = chain.head()
    assert head.block_number == 0
    assert head.hash == chain.genesis_hash
    assert chain.chain_id == 7210
    assert chain.gas_price() == 0
    assert chain.balance(sender_key(0).public_key.to_canonical_address(), "latest") == 10**24


def test_zero_price_transfers_of_every_type_are_executed_and_indexed(chain):
    key = sender_key(0)
    txs = [signed_tx(key, 0, kind=0), signed_tx(key, 1, kind=1), signed_tx(key, 2, kind=2)]
    block, left = produce(chain, txs)
    assert left == ()
    chain.commit_block(block)
    assert chain.head().block_number == 1
    assert chain.balance(RECIPIENT_BYTES, "latest") == 3
    assert chain.nonce(key.public_key.to_canonical_address(), "latest") == 3
    for index, tx in enumerate(txs):
        record = chain.receipt(tx.hash)
        assert record is not None
        assert record.status == 1
        assert record.gas_used == 21_000
        assert record.effective_gas_price == 0
        assert record.location.index == index
        assert record.location.block_hash == block.hash
    assert chain.block_by_hash(block.hash).transactions[2].hash == txs[2].hash
    assert chain.resolve_block_number(block.hash) == 1
    assert chain.resolve_block_number(2) is None


def test_reads_see_only_committed_blocks(chain):
    key = sender_key(0)
    tx = signed_tx(key, 0)
    block, _ = produce(chain, [tx])  # built and executed: its writes are staged, not committed
    assert chain.head().block_number == 0
    assert chain.nonce(key.public_key.to_canonical_address(), "latest") == 0
    assert chain.receipt(tx.hash) is None
    assert chain.header_by_hash(block.hash) is None
    chain.commit_block(block)
    assert chain.head().hash == block.hash
    assert chain.nonce(key.public_key.to_canonical_address(), "latest") == 1
    assert chain.receipt(tx.hash) is not None


def test_reads_answer_while_the_chain_lock_is_held_by_a_block_in_progress(chain):
    """RPC reads and pool nonce checks must not queue behind a block being executed."""
    key = sender_key(0)
    block, _ = produce(chain, [signed_tx(key, 0)])
    chain.commit_block(block)
    sender = key.public_key.to_canonical_address()
    held, release = threading.Event(), threading.Event()

    def hold_the_chain_lock() -> None:
        with chain._lock:  # what build_candidate / validate_candidate hold while they execute
            held.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_the_chain_lock)
    holder.start()
    held.wait(timeout=30)
    answers: dict[str, object] = {}

    def read() -> None:
        answers["head"] = chain.head().block_number
        answers["nonce"] = chain.nonce(sender, "latest")
        answers["receipt"] = chain.receipt(block.transactions[0].hash) is not None
        answers["block"] = chain.block_by_number(1) is not None
        answers["call"] = chain.call(CallRequest(to=Address(RECIPIENT_BYTES), data=b""), "latest")
        answers["logs"] = chain.logs(LogFilter(from_block=0, to_block=1))

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=30)
    finished = not reader.is_alive()
    release.set()
    holder.join()
    reader.join()
    assert finished, "a read waited for the chain lock"
    assert answers == {"head": 1, "nonce": 1, "receipt": True, "block": True, "call": b"", "logs": []}


def test_transactions_that_fail_are_returned_and_those_without_room_wait(tmp_path):
    chain = ChainService(LmdbStore(tmp_path / "c"), make_genesis(gas_limit=50_000))
    key = sender_key(0)
    good = [signed_tx(key, 0), signed_tx(key, 1)]
    no_room = signed_tx(key, 2)
    bad_nonce = signed_tx(sender_key(1), 5)
    block, invalid = produce(chain, [bad_nonce, *good, no_room])
    assert [t.hash for t in block.transactions] == [t.hash for t in good]
    # Only the one that can never run as offered is invalid; the one without room is not.
    assert [t.hash for t in invalid] == [bad_nonce.hash]


def test_a_skipped_transaction_holds_back_its_sender_s_later_nonces(tmp_path):
    # 100k gas: Alice's nonce 0 (limit 90k) has no room after Bob's transfer, so her nonce 1, which
    # would fit, must not run before it (it would fail on its nonce and be thrown away as invalid).
    chain = ChainService(LmdbStore(tmp_path / "c"), make_genesis(gas_limit=100_000))
    alice, bob, carol = sender_key(0), sender_key(1), sender_key(2)
    bad = signed_tx(carol, 3)
    after_bad = signed_tx(carol, 4)
    offered = [
        signed_tx(bob, 0, gas=21_000),
        signed_tx(alice, 0, gas=90_000),
        signed_tx(alice, 1),
        bad,
        after_bad,
    ]
    block, invalid = produce(chain, offered)
    assert [(t.sender, t.nonce) for t in block.transactions] == [(bob.public_key.to_canonical_address(), 0)]
    assert [t.hash for t in invalid] == [bad.hash]


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_a_high_s_transaction_is_invalid_in_a_block_built_or_imported(chain, kind):
    twin = PragueTransactionBuilder.decode(high_s_twin(raw_tx(sender_key(0), 0, kind=kind), kind))
    assert twin.sender == sender_key(0).public_key.to_canonical_address()  # it recovers the sender
    block, invalid = produce(chain, [twin])
    assert block.transactions == () and invalid == (twin,)
    # Importing runs the same per-transaction check: a faulty proposer's block carrying it fails.
    head = chain.head()
    vm = chain._chain.get_vm(chain._chain.create_header_from_parent(head))
    with pytest.raises(ValidationError, match="EIP-2"):
        vm.apply_transaction(vm.get_header(), twin)


def test_a_block_fills_by_gas_used_not_by_gas_limits(tmp_path):
    # Each transfer allows 60k and uses 21k: a 100k block holds two (21k + 60k fits), not one.
    chain = ChainService(LmdbStore(tmp_path / "c"), make_genesis(gas_limit=100_000))
    offered = [signed_tx(sender_key(i), 0, gas=60_000) for i in range(3)]
    block, invalid = produce(chain, offered)
    assert [t.hash for t in block.transactions] == [t.hash for t in offered[:2]]
    assert block.header.gas_used == 42_000
    assert invalid == ()


def test_unsealed_or_foreign_sealed_block_is_rejected_and_nothing_persists(chain):
    block, _ = produce(chain, [signed_tx(sender_key(0), 0)], seal=False)
    with pytest.raises(InvalidBlock):
        chain.commit_block(block)
    outsider = PrivateKey(b"\x09" * 32)
    forged = block.copy(header=with_commit_seals(block.header, (sign_commit_seal(outsider, block.header),)))
    with pytest.raises(InvalidBlock):
        chain.commit_block(forged)
    assert chain.head().block_number == 0
    assert chain.receipt(block.transactions[0].hash) is None


def test_follower_imports_by_reexecution_and_gets_the_same_state(tmp_path, chain):
    block, _ = produce(chain, [signed_tx(sender_key(0), 0)])
    follower = ChainService(LmdbStore(tmp_path / "follower"), chain.genesis)
    follower.validate_candidate(block)
    follower.commit_block(block)
    chain.commit_block(block)
    assert follower.head().hash == chain.head().hash
    assert follower.head().state_root == chain.head().state_root


def test_tampered_proposal_fails_validation(tmp_path, chain):
    block, _ = produce(chain, [signed_tx(sender_key(0), 0)])
    bad = block.copy(header=block.header.copy(state_root=b"\x11" * 32))
    follower = ChainService(LmdbStore(tmp_path / "follower"), chain.genesis)
    with pytest.raises(InvalidBlock):
        follower.validate_candidate(bad)
    with pytest.raises(InvalidBlock):
        follower.commit_block(bad)
    assert follower.head().block_number == 0


def test_block_must_extend_the_head_and_time_must_advance(chain):
    block, _ = produce(chain, [])
    chain.commit_block(block)
    with pytest.raises(InvalidBlock):
        chain.commit_block(block)
    with pytest.raises(InvalidBlock):
        chain.build_candidate([], timestamp=chain.head().timestamp, coinbase=b"\0" * 20, extra_data=b"")


def test_data_dir_of_another_genesis_is_refused(tmp_path, chain):
    chain.store.close()
    other = make_genesis(funded=1)
    with pytest.raises(ConfigError):
        ChainService(LmdbStore(tmp_path / "chain"), other)


def _deploy(chain, runtime: bytes, nonce: int):
    tx = signed_tx(sender_key(0), nonce, to="", data=_deployer(runtime), gas=200_000, value=0)
    block, left = produce(chain, [tx])
    assert left == ()
    chain.commit_block(block)
    record = chain.receipt(tx.hash)
    assert record.status == 1
    return record.contract_address


def test_contract_logs_calls_and_reverts(chain):
    logger = _deploy(chain, LOGGER_RUNTIME, 0)
    reverter = _deploy(chain, REVERTER_RUNTIME, 1)
    assert chain.code(logger, "latest") == LOGGER_RUNTIME
    assert chain.call(CallRequest(to=logger), "latest") == (7).to_bytes(32, "big")
    with pytest.raises(ExecutionReverted) as info:
        chain.call(CallRequest(to=reverter), "latest")
    assert info.value.data == bytes.fromhex("deadbeef")
    assert chain.estimate_gas(CallRequest(to=logger), "latest") > 21_000

    call_tx = signed_tx(sender_key(1), 0, to=to_checksum_address(logger), gas=100_000, value=0)
    block, _ = produce(chain, [signed_tx(sender_key(0), 2), call_tx])
    chain.commit_block(block)
    topic = (0x2A).to_bytes(32, "big")
    logs = chain.logs(LogFilter(from_block=0, to_block=10, addresses=frozenset({logger})))
    assert len(logs) == 1
    assert logs[0].topics == (topic,)
    assert logs[0].transaction_hash == call_tx.hash
    assert logs[0].transaction_index == 1
    assert logs[0].log_index == 0
    assert chain.logs(LogFilter(from_block=0, to_block=10, topics=(frozenset({Hash32(b"\x01" * 32)}),))) == []
    assert chain.logs(LogFilter(from_block=0, to_block=0, block_hash=block.hash)) == logs
    with pytest.raises(LogRangeTooLarge):
        chain.logs(LogFilter(from_block=0, to_block=10**6))
    with pytest.raises(UnknownBlock):
        chain.balance(logger, 99)
