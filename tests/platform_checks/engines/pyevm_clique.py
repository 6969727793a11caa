"""A real Clique chain run in-process by py-evm (``eth/consensus/clique``), served as JSON blocks.

py-evm validates every imported block's seal and signer turn itself, and computes each block hash
with its own header RLP: the probes are checked against an independent Clique implementation.
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI
from eth.chains.base import MiningChain
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.clique import CliqueApplier, CliqueConsensusContext
from eth.db.atomic import AtomicDB
from eth.rlp.headers import BlockHeader as PyEvmHeader
from eth.vm.forks.petersburg import PetersburgVM
from eth_keys.datatypes import PrivateKey

VANITY = bytes(32)
SEAL = bytes(65)


class PyEvmCliqueChain:
    """Duck-types :class:`tests.platform_checks.chains.Chain` for :class:`NodeBackend`."""

    engine = "clique"

    def __init__(self, signers: list[PrivateKey], *, chain_id: int = 1337) -> None:
        self.chain_id = chain_id
        self.validators = signers
        self._sorted = sorted(signers, key=lambda k: k.public_key.to_canonical_address())
        addresses = b"".join(k.public_key.to_canonical_address() for k in self._sorted)
        genesis = PyEvmHeader(
            difficulty=1,
            block_number=0,
            gas_limit=8_000_000,
            timestamp=1_700_000_000,
            extra_data=VANITY + addresses + SEAL,
        )
        chain_class = MiningChain.configure(
            __name__="ProbeCliqueChain",
            vm_configuration=CliqueApplier().amend_vm_configuration(((0, PetersburgVM),)),
            consensus_context_class=CliqueConsensusContext,
            chain_id=chain_id,
        )
        self._chain = chain_class.from_genesis_header(AtomicDB(), genesis)
        self.headers: list[BlockHeaderAPI] = [genesis]
        self.blocks: list[dict[str, Any]] = [header_json(genesis)]

    def mine(self, count: int = 1) -> None:
        for _ in range(count):
            parent = self.headers[-1]
            number = parent.block_number + 1
            signer = self._sorted[number % len(self._sorted)]
            unsigned = self._chain.create_header_from_parent(
                parent,
                timestamp=parent.timestamp + 1,
                gas_limit=parent.gas_limit,
                difficulty=2,
                nonce=bytes(8),
                extra_data=VANITY + SEAL,
            )
            # The fee recipient is the recovered signer, so the state root is known only once signed:
            # sign, execute to learn the root, then sign the header that carries it.
            draft = sign_block_header(unsigned, signer)
            vm = self._chain.get_vm(draft)
            state_root = vm.finalize_block(vm.get_block()).block.header.state_root
            header = sign_block_header(unsigned.copy(state_root=state_root), signer)
            block = self._chain.get_vm_class(header).get_block_class()(header, transactions=[], uncles=[])
            self._chain.import_block(block)  # py-evm checks the seal and the in-turn rule here
            self.headers.append(header)
            self.blocks.append(header_json(header))

    def validator_addresses(self) -> list[str]:
        return ["0x" + k.public_key.to_canonical_address().hex() for k in self.validators]


def header_json(header: BlockHeaderAPI) -> dict[str, Any]:
    def h(value: bytes) -> str:
        return "0x" + bytes(value).hex()

    return {
        "number": hex(header.block_number),
        "hash": h(header.hash),
        "parentHash": h(header.parent_hash),
        "sha3Uncles": h(header.uncles_hash),
        "miner": h(header.coinbase),
        "stateRoot": h(header.state_root),
        "transactionsRoot": h(header.transaction_root),
        "receiptsRoot": h(header.receipt_root),
        "logsBloom": h(header.bloom.to_bytes(256, "big")),
        "difficulty": hex(header.difficulty),
        "gasLimit": hex(header.gas_limit),
        "gasUsed": hex(header.gas_used),
        "timestamp": hex(header.timestamp),
        "extraData": h(header.extra_data),
        "mixHash": h(header.mix_hash),
        "nonce": h(header.nonce),
        "transactions": [],
        "uncles": [],
    }
