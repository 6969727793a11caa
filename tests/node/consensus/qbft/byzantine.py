"""Byzantine behaviours for the simulated network, as per-link tampering of one validator's output.

A Byzantine validator here runs an honest machine but its messages are rewritten on the way to some
recipients, with its own valid key: that is the strongest adversary the protocol must survive (it can
sign anything), and it keeps the test honest nodes' code paths exactly those of production.
"""

from __future__ import annotations

from collections.abc import Iterable

from node.consensus.qbft.messages import (
    Commit,
    Prepare,
    Proposal,
    decode_message,
    make_commit,
    make_prepare,
    make_proposal,
)
from node.consensus.qbft.ports import LocalKeySigner
from node.consensus.qbft.simulation import SimBlock, SimNetwork


class Equivocator:
    """Shows ``split`` recipients a different block than everyone else: proposal, prepares and commits."""

    def __init__(self, net: SimNetwork, byzantine: int, split: Iterable[int]) -> None:
        self.net = net
        self.byzantine = byzantine
        self.split = frozenset(split)
        self.alternatives: dict[bytes, SimBlock] = {}
        self.rewritten = 0
        net.honest.discard(byzantine)

    def _alternative(self, block: SimBlock) -> SimBlock:
        alt = self.alternatives.get(block.hash)
        if alt is None:
            alt = SimBlock(
                block.number, block.parent_hash, block.proposer, block.timestamp_ms, block.payload + b"!"
            )
            self.alternatives[block.hash] = alt
            self.alternatives[alt.hash] = alt
        return alt

    def __call__(self, sender: int, recipient: int, data: bytes) -> bytes | None:
        if sender != self.byzantine or recipient not in self.split:
            return data
        node = self.net.nodes[sender]
        message = decode_message(data, node.port)
        signer = node.signer
        if isinstance(message, Proposal) and message.round == 0 and isinstance(message.block, SimBlock):
            self.rewritten += 1
            return make_proposal(
                signer, node.port, message.height, 0, self._alternative(message.block)
            ).encode()
        known = {h: b for h, b in self.alternatives.items()}
        if isinstance(message, Prepare) and message.digest in known:
            self.rewritten += 1
            alt = self._alternative(known[message.digest])
            return make_prepare(signer, message.height, message.round, alt.hash).encode()
        if isinstance(message, Commit) and message.digest in known:
            self.rewritten += 1
            alt = self._alternative(known[message.digest])
            seal = signer.sign(node.port.seal_hash(alt, message.round))
            return make_commit(signer, message.height, message.round, alt.hash, seal).encode()
        return data


class SealForger:
    """Replaces the commit seals of one validator with seals made by a key that is not its own."""

    def __init__(self, net: SimNetwork, byzantine: int) -> None:
        self.net = net
        self.byzantine = byzantine
        self.forger = LocalKeySigner(b"\x77" * 32)
        self.rewritten = 0
        net.honest.discard(byzantine)

    def __call__(self, sender: int, recipient: int, data: bytes) -> bytes | None:
        if sender != self.byzantine:
            return data
        node = self.net.nodes[sender]
        message = decode_message(data, node.port)
        if not isinstance(message, Commit):
            return data
        self.rewritten += 1
        # A seal by a key that is not the author's: it recovers to another address.
        seal = self.forger.sign(message.digest)
        return make_commit(node.signer, message.height, message.round, message.digest, seal).encode()
