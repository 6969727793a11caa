"""``BftPragueVM``: py-evm's newest complete fork with the header rules of a QBFT chain.

Why Prague: py-evm 0.12.1b1 implements all of it (EIP-7702 set-code, EIP-7623 calldata floor,
EIP-2935 history storage, EIP-2537 BLS precompiles, EIP-7685 requests hash) and Vyper 0.4.3 targets it.
System contracts of the beacon chain (4788, 7002, 7251) are simply absent from genesis, and py-evm
skips them when their code is missing.

What differs from mainnet Prague, and why:

* header: difficulty 1, nonce 0, the BFT mixHash, QBFT extraData (far more than 32 bytes);
* base fee always 0: a permissioned network prices nothing, and London's rule would raise the base
  fee to 1 wei after the first full block and start rejecting zero-price transactions;
* gas limit fixed by genesis (a header may not change it), so "block gas limit" is one number;
* every transaction's signature has a low ``s`` (EIP-2). py-evm leaves that rule to libsecp256k1's
  verify, which accepts a high ``s`` for typed transactions: a mirrored signature would be a second
  valid-looking transaction with the same sender and nonce, in a block built by a faulty proposer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from eth.abc import BlockHeaderAPI, ConsensusAPI, SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA256, EMPTY_UNCLE_HASH, ZERO_ADDRESS, ZERO_HASH32
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.headers import calc_excess_blob_gas_prague
from eth_keys.constants import SECPK1_N
from eth_utils.exceptions import ValidationError

from node.bft.extra_data import BFT_MIX_HASH, decode_extra_data
from node.bft.header import BftBlock, BftBlockHeader
from node.bft.seal_consensus import BftSealConsensus

BFT_DIFFICULTY = 1
BFT_NONCE = b"\x00" * 8
MAX_EXTRA_DATA_BYTES = 16 * 1024
"""Room for a few hundred validators and their seals; bounds what a peer can make us decode."""


SECP256K1_HALF_ORDER = SECPK1_N // 2
"""Largest ``s`` a signature may carry (EIP-2)."""


def validate_low_s(transaction: SignedTransactionAPI) -> None:
    """Raise ``ValidationError`` unless the signature's ``s`` is in the lower half of the order."""
    if not 0 < transaction.s <= SECP256K1_HALF_ORDER:
        raise ValidationError("signature s is zero or in the upper half of the curve order (EIP-2)")


def create_bft_header_from_parent(parent: BlockHeaderAPI | None, **params: Any) -> BftBlockHeader:
    """Return the header of the child of ``parent`` (or the genesis header when ``parent`` is None)."""
    fields: dict[str, Any] = {
        "difficulty": BFT_DIFFICULTY,
        "nonce": BFT_NONCE,
        "mix_hash": BFT_MIX_HASH,
        "base_fee_per_gas": 0,
        "uncles_hash": EMPTY_UNCLE_HASH,
        "withdrawals_root": BLANK_ROOT_HASH,
        "blob_gas_used": 0,
        "excess_blob_gas": 0,
        "parent_beacon_block_root": ZERO_HASH32,
        "requests_hash": EMPTY_SHA256,
        "coinbase": ZERO_ADDRESS,
    }
    if parent is not None:
        fields.update(
            parent_hash=parent.hash,
            block_number=parent.block_number + 1,
            gas_limit=parent.gas_limit,
            timestamp=parent.timestamp + 1,
            state_root=parent.state_root,
            extra_data=parent.extra_data,
            excess_blob_gas=calc_excess_blob_gas_prague(parent),
        )
    fields.update(params)
    return BftBlockHeader(**fields)


class BftPragueVM(PragueVM):
    """Prague execution, QBFT header rules, commit seals checked through :class:`BftSealConsensus`."""

    fork = "prague-bft"
    block_class = BftBlock
    extra_data_max_bytes: ClassVar[int] = MAX_EXTRA_DATA_BYTES
    consensus_class: type[ConsensusAPI] = BftSealConsensus
    create_header_from_parent = staticmethod(create_bft_header_from_parent)

    @classmethod
    def create_genesis_header(cls, **genesis_params: Any) -> BlockHeaderAPI:
        return create_bft_header_from_parent(None, **genesis_params)

    def validate_transaction_against_header(
        self, base_header: BlockHeaderAPI, transaction: SignedTransactionAPI
    ) -> None:
        # Runs before every transaction a block applies, built here or imported from a peer.
        super().validate_transaction_against_header(base_header, transaction)
        validate_low_s(transaction)

    @classmethod
    def validate_gas(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if header.gas_limit != parent_header.gas_limit:
            raise ValidationError(
                f"gas limit is fixed at {parent_header.gas_limit}, header has {header.gas_limit}"
            )
        if header.base_fee_per_gas != 0:
            raise ValidationError(f"base fee must be 0, header has {header.base_fee_per_gas}")
        if header.gas_used > header.gas_limit:
            raise ValidationError(f"gas used {header.gas_used} exceeds the limit {header.gas_limit}")

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if parent_header is None:
            raise ValidationError("a header can only be validated against its parent")
        if len(header.extra_data) > cls.extra_data_max_bytes:
            raise ValidationError(f"extraData longer than {cls.extra_data_max_bytes} bytes")
        decode_extra_data(header.extra_data)
        if header.block_number != parent_header.block_number + 1:
            raise ValidationError(
                f"block #{header.block_number} does not follow its parent #{parent_header.block_number}"
            )
        if header.parent_hash != parent_header.hash:
            raise ValidationError("parent hash does not match the parent header")
        if header.timestamp <= parent_header.timestamp:
            raise ValidationError(
                f"timestamp {header.timestamp} is not after the parent's {parent_header.timestamp}"
            )
        cls.validate_gas(header, parent_header)
        if header.difficulty != BFT_DIFFICULTY:
            raise ValidationError(f"difficulty must be {BFT_DIFFICULTY}, got {header.difficulty}")
        if header.nonce != BFT_NONCE:
            raise ValidationError("nonce must be zero")
        if header.mix_hash != BFT_MIX_HASH:
            raise ValidationError("mixHash does not mark a BFT block")
        if header.uncles_hash != EMPTY_UNCLE_HASH:
            raise ValidationError("a BFT block has no uncles")
