"""The node's header and block classes: Prague fields, Besu-QBFT hashing.

py-evm hashes the whole header RLP; a BFT chain must not, because the commit seals are added after the
validators agreed on the block and differ from node to node. :class:`BftBlockHeader` keeps py-evm's
Prague field layout (so the VM, the database and JSON-RPC see an ordinary header) and overrides only
``hash`` with the rule of :func:`node.bft.extra_data.block_hash`.
"""

from __future__ import annotations

from typing import ClassVar

import rlp
from eth.vm.forks.prague.blocks import PragueBlock, PragueBlockHeader
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth.vm.forks.shanghai.withdrawals import Withdrawal
from eth_hash.auto import keccak
from eth_typing import Hash32
from eth_utils.hexadecimal import encode_hex
from rlp.sedes import CountableList

from node.bft.extra_data import InvalidExtraData, block_hash


class BftBlockHeader(PragueBlockHeader):
    """A Prague header whose hash ignores commit seals and the round (Besu QBFT rule)."""

    _bft_hash: Hash32 | None = None

    @property
    def hash(self) -> Hash32:
        cached = self._bft_hash
        if cached is not None:
            return cached
        try:
            computed = block_hash(self)
        except InvalidExtraData:
            # Not a BFT header (it will fail validation); hash it the plain way so py-evm can still
            # name it in error messages.
            computed = Hash32(keccak(rlp.encode(self)))
        self._bft_hash = computed
        return computed

    def __str__(self) -> str:
        return f"<BftBlockHeader #{self.block_number} {encode_hex(self.hash)[2:10]}>"


class BftBlock(PragueBlock):
    """A Prague block carrying a :class:`BftBlockHeader`."""

    transaction_builder: ClassVar[type[PragueTransactionBuilder]] = PragueTransactionBuilder  # type: ignore[misc]
    fields: ClassVar[list[tuple[str, object]]] = [  # type: ignore[misc]
        ("header", BftBlockHeader),
        ("transactions", CountableList(PragueTransactionBuilder)),
        ("uncles", CountableList(None, max_length=0)),
        ("withdrawals", CountableList(Withdrawal)),
    ]


def decode_header(encoded: bytes) -> BftBlockHeader:
    """Decode a header as stored by this node (always the Prague layout)."""
    header = rlp.decode(encoded, sedes=BftBlockHeader)
    if not isinstance(header, BftBlockHeader):  # pragma: no cover - rlp returns the sedes class
        raise InvalidExtraData("not a header")
    return header
