"""The py-evm chain and chain database the node runs, configured for BFT headers."""

from __future__ import annotations

import functools
from typing import ClassVar

from eth.abc import BlockHeaderAPI, DatabaseAPI
from eth.chains.base import Chain
from eth.db.chain import ChainDB
from eth.exceptions import HeaderNotFound
from eth_typing import BlockNumber, Hash32
from eth_utils.hexadecimal import encode_hex

from node.bft.header import decode_header
from node.execution.vm import BftPragueVM


@functools.lru_cache(512)
def _decode_cached(encoded: bytes) -> BlockHeaderAPI:
    return decode_header(encoded)


class BftChainDB(ChainDB):
    """py-evm's ChainDB decoding stored headers as :class:`~node.bft.header.BftBlockHeader`.

    py-evm decodes headers with a module-level sedes that picks a class by field count, which would
    give back a plain Prague header with the wrong (seal-covering) hash.
    """

    @staticmethod
    def _get_block_header_by_hash(db: DatabaseAPI, block_hash: Hash32) -> BlockHeaderAPI:
        try:
            encoded = db[block_hash]
        except KeyError as exc:
            raise HeaderNotFound(f"No header with hash {encode_hex(block_hash)} found") from exc
        return _decode_cached(encoded)


class BftChain(Chain):
    """A chain of :class:`BftPragueVM` blocks from genesis on; ``chain_id`` is set per network."""

    vm_configuration = ((BlockNumber(0), BftPragueVM),)
    chaindb_class: ClassVar[type[ChainDB]] = BftChainDB  # type: ignore[misc]
    chain_id: int = 0
