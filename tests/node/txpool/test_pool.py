from __future__ import annotations

import pytest
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PrivateKey
from eth_typing import Address

from node.chain_service import ChainService
from node.permissioning import AccountAllowlist
from node.txpool import exceptions as rej
from node.txpool.pool import PoolLimits, TxPool
from tests.node.execution.test_chain_service import produce
from tests.node.txs import high_s_twin, raw_tx, sender_key, signed_tx

ALICE = sender_key(0)
BOB = sender_key(1)


def addr(key: PrivateKey) -> Address:
    return Address(key.public_key.to_canonical_address())


def make_pool(chain: ChainService, **limits) -> TxPool:
    allowlist = AccountAllowlist(chain.store, chain.genesis.allowed_accounts)
    return TxPool(chain, allowlist, block_gas_limit=chain.block_gas_limit, limits=PoolLimits(**limits))


@pytest.fixture
def pool(chain):
    return make_pool(chain)


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_accepts_every_supported_type_and_notifies(chain, kind):
    pool = make_pool(chain)
    woken = []
    pool.set_on_pending(lambda: woken.append(1))
    tx_hash = pool.add_raw(raw_tx(ALICE, 0, kind=kind))
    assert pool.get(tx_hash) is not None
    assert len(pool) == 1
    assert woken == [1]


def test_rejection_reasons_each_have_their_class(chain, pool):
    outsider = PrivateKey(b"\x77" * 32)
    cases = [
        (b"\xf8\x01", rej.MalformedTransaction),
        (b"\x03" + b"\x00" * 10, rej.UnsupportedTransactionType),
        (raw_tx(ALICE, 0, chain_id=1), rej.WrongChainId),
        (raw_tx(outsider, 0), rej.SenderNotAllowed),
        (raw_tx(ALICE, 0, gas=chain.block_gas_limit + 1), rej.GasLimitExceeded),
        (raw_tx(ALICE, 0, gas=20_000), rej.IntrinsicGasTooLow),
        (raw_tx(ALICE, 0, data=b"\x01" * (130 * 1024), gas=3_000_000), rej.TransactionTooLarge),
        (raw_tx(ALICE, 10_000), rej.NonceTooHigh),
        (raw_tx(ALICE, 0, value=10**30), rej.InsufficientFunds),
    ]
    for raw, expected in cases:
        with pytest.raises(expected) as info:
            pool.add_raw(raw)
        assert info.value.code == expected.code
        assert str(info.value) == expected.phrase
    assert len(pool) == 0
    codes = {c.code for _, c in cases}
    assert len(codes) == len(cases)


def test_unprotected_legacy_transaction_is_refused(pool):
    raw = Account.sign_transaction(
        {"nonce": 0, "gasPrice": 0, "gas": 21_000, "to": "0x" + "33" * 20, "value": 1, "data": b""},
        ALICE.to_bytes(),
    ).raw_transaction
    with pytest.raises(rej.WrongChainId):
        pool.add_raw(bytes(raw))


def test_already_known_and_nonce_too_low(chain, pool):
    pool.add_raw(raw_tx(ALICE, 0))
    with pytest.raises(rej.AlreadyKnown):
        pool.add_raw(raw_tx(ALICE, 0))
    block, _ = produce(chain, pool.executable(chain.block_gas_limit))
    chain.commit_block(block)
    pool.remove_included(block)
    assert len(pool) == 0
    with pytest.raises(rej.NonceTooLow):
        pool.add_raw(raw_tx(ALICE, 0, value=2))


def test_gaps_wait_in_the_future_queue_until_filled(pool):
    pool.add_raw(raw_tx(ALICE, 2))
    pool.add_raw(raw_tx(ALICE, 1))
    assert pool.executable(10**9) == []
    assert pool.pending_nonce(addr(ALICE)) == 0
    pool.add_raw(raw_tx(ALICE, 0))
    assert [t.nonce for t in pool.executable(10**9)] == [0, 1, 2]
    assert pool.pending_nonce(addr(ALICE)) == 3


def test_first_come_first_served_across_senders_nonce_order_within(pool):
    pool.add_raw(raw_tx(BOB, 0))
    pool.add_raw(raw_tx(ALICE, 1))
    pool.add_raw(raw_tx(ALICE, 0))
    pool.add_raw(raw_tx(BOB, 1))
    chosen = pool.executable(10**9)
    assert [(t.sender, t.nonce) for t in chosen] == [
        (addr(BOB), 0),
        (addr(ALICE), 0),
        (addr(ALICE), 1),
        (addr(BOB), 1),
    ]


def test_executable_respects_gas_without_breaking_nonce_order(pool):
    pool.add_raw(raw_tx(ALICE, 0, gas=50_000))
    pool.add_raw(raw_tx(ALICE, 1))
    pool.add_raw(raw_tx(BOB, 0))
    chosen = pool.executable(45_000)
    assert [(t.sender, t.nonce) for t in chosen] == [(addr(BOB), 0)]


def test_replacement_needs_a_strictly_higher_price_on_zero_price_network(chain, pool):
    first = pool.add_raw(raw_tx(ALICE, 0, kind=2))
    with pytest.raises(rej.ReplacementUnderpriced):
        pool.add_raw(raw_tx(ALICE, 0, kind=2, value=5))
    better = pool.add_raw(raw_tx(ALICE, 0, kind=2, maxFeePerGas=10, maxPriorityFeePerGas=10))
    assert pool.get(first) is None
    assert pool.get(better) is not None
    # +10 % rule: 10 -> 11 needed for both fee cap and tip
    with pytest.raises(rej.ReplacementUnderpriced):
        pool.add_raw(raw_tx(ALICE, 0, kind=2, maxFeePerGas=20, maxPriorityFeePerGas=10))
    pool.add_raw(raw_tx(ALICE, 0, kind=2, maxFeePerGas=11, maxPriorityFeePerGas=11))
    assert len(pool) == 1


def test_equal_price_replacement_when_configured(chain):
    pool = make_pool(chain, allow_equal_price_replacement=True)
    first = pool.add_raw(raw_tx(ALICE, 0))
    second = pool.add_raw(raw_tx(ALICE, 0, value=7))
    assert pool.get(first) is None
    replacement = pool.get(second)
    assert replacement is not None
    assert replacement.value == 7


def test_pool_limits_global_and_per_sender(chain):
    pool = make_pool(chain, max_per_sender=2, max_transactions=3)
    pool.add_raw(raw_tx(ALICE, 0))
    pool.add_raw(raw_tx(ALICE, 1))
    with pytest.raises(rej.SenderPoolFull):
        pool.add_raw(raw_tx(ALICE, 2))
    pool.add_raw(raw_tx(BOB, 0))
    with pytest.raises(rej.PoolFull):
        pool.add_raw(raw_tx(sender_key(2), 0))
    # a replacement is not a new entry, so it passes a full pool
    pool2 = make_pool(chain, max_per_sender=1, allow_equal_price_replacement=True)
    pool2.add_raw(raw_tx(ALICE, 0))
    pool2.add_raw(raw_tx(ALICE, 0, value=3))


def test_min_gas_price(chain):
    pool = make_pool(chain, min_gas_price=1)
    with pytest.raises(rej.Underpriced):
        pool.add_raw(raw_tx(ALICE, 0))


def test_included_and_stale_transactions_leave_the_pool(chain, pool):
    pool.add_raw(raw_tx(ALICE, 0))
    pool.add_raw(raw_tx(ALICE, 1))
    # the same nonces arrive in a block built elsewhere (different transactions)
    block, _ = produce(chain, [signed_tx(ALICE, 0, value=9), signed_tx(ALICE, 1, value=9)])
    chain.commit_block(block)
    pool.remove_included(block)
    assert len(pool) == 0
    assert pool.pending_nonce(addr(ALICE)) == 2


def test_drop_removes_failed_transactions(pool):
    tx_hash = pool.add_raw(raw_tx(ALICE, 0))
    pool.drop([pool.get(tx_hash)])
    assert len(pool) == 0
    assert pool.executable(10**9) == []


def test_type_three_and_four_are_refused_even_if_decoded(pool):
    for type_byte in (b"\x03", b"\x04"):
        with pytest.raises(rej.UnsupportedTransactionType):
            pool.add_raw(type_byte + b"\xc0")


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_high_s_signatures_are_refused_although_they_recover_the_sender(pool, kind):
    raw = high_s_twin(raw_tx(ALICE, 0, kind=kind), kind)
    assert PragueTransactionBuilder.decode(raw).sender == addr(ALICE)  # a valid-looking twin
    with pytest.raises(rej.InvalidSignature):
        pool.add_raw(raw)
    assert len(pool) == 0


@pytest.mark.parametrize(("field", "value"), [("r", 0), ("s", 0), ("r", SECPK1_N), ("s", SECPK1_N)])
def test_signatures_that_recover_no_key_or_break_the_ranges_are_refused(pool, field, value):
    tx = PragueTransactionBuilder.decode(raw_tx(ALICE, 0, kind=2))
    with pytest.raises(rej.InvalidSignature):
        pool.add_raw(bytes(tx.copy(**{field: value}).encode()))
    assert len(pool) == 0


def test_the_sender_recovered_at_admission_is_kept_for_execution(pool):
    tx_hash = pool.add_raw(raw_tx(ALICE, 0, kind=2))
    pooled = pool.get(tx_hash)
    assert pooled is not None
    assert "sender" in vars(pooled._inner) or "sender" in vars(pooled)  # cached, not recovered again
