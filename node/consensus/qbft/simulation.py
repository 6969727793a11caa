"""A deterministic in-memory network of QBFT machines on a virtual clock.

Used by the consensus tests and available to anyone who needs a consensus network without sockets:
every delivery, timer and block build is an event on one priority queue keyed by virtual time, and all
randomness (latency, loss) comes from one seeded generator, so a failing schedule replays exactly.
Partitions, crashes with restart from the persisted snapshot, per-link tampering (Byzantine peers) and
block sync (a lagging node imports decided blocks from a reachable peer after checking their seals) are
built in. Blocks are :class:`SimBlock`, a minimal block honouring the :class:`ConsensusBlock` protocol.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import rlp
from eth_typing import Address, Hash32
from rlp.exceptions import DecodingError

from node.consensus.exceptions import MalformedMessage
from node.consensus.qbft.actions import (
    Action,
    Broadcast,
    CommitBlock,
    PersistState,
    Rejected,
    RequestBlock,
    SetTimer,
)
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.height_state import HeightInfo
from node.consensus.qbft.messages import Commit, Prepare, Proposal, QbftMessage
from node.consensus.qbft.ports import ConsensusBlock, LocalKeySigner, keccak256, recover_address
from node.consensus.qbft.quorum import quorum
from node.consensus.qbft.snapshot import Snapshot
from node.consensus.qbft.state_machine import QbftMachine

INVALID_PAYLOAD = b"invalid"
"""A :class:`SimBlock` payload that every honest node's port declares invalid."""

GENESIS_HASH = Hash32(b"\x00" * 32)


@dataclass(frozen=True, slots=True)
class SimBlock:
    """A block reduced to what consensus sees; ``payload`` stands for the transactions."""

    number: int
    parent_hash: Hash32
    proposer: Address
    timestamp_ms: int
    payload: bytes

    @property
    def hash(self) -> Hash32:
        return keccak256(self.encode())

    def encode(self) -> bytes:
        return bytes(
            rlp.encode([self.number, self.parent_hash, self.proposer, self.timestamp_ms, self.payload])
        )


@dataclass(frozen=True, slots=True)
class CommittedBlock:
    block: SimBlock
    round: int
    seals: tuple[bytes, ...]


class SimChainPort:
    """The :class:`BlockPort` of one simulated node: validity is checked against its own chain head."""

    def __init__(self, chain: list[CommittedBlock]) -> None:
        self._chain = chain

    def encode_block(self, block: ConsensusBlock) -> bytes:
        if not isinstance(block, SimBlock):
            raise MalformedMessage("the simulation only carries SimBlock")
        return block.encode()

    def decode_block(self, data: bytes) -> SimBlock:
        try:
            items = rlp.decode(data, strict=True)
        except DecodingError as exc:
            raise MalformedMessage(f"block is not RLP: {exc}") from exc
        if not isinstance(items, list) or len(items) != 5 or not all(isinstance(i, bytes) for i in items):
            raise MalformedMessage("block must be a list of 5 byte strings")
        number, parent, proposer, ts, payload = items
        if len(parent) != 32 or len(proposer) != 20:
            raise MalformedMessage("block parent hash or proposer has the wrong length")
        return SimBlock(
            int.from_bytes(number, "big"),
            Hash32(parent),
            Address(proposer),
            int.from_bytes(ts, "big"),
            payload,
        )

    def head_hash(self) -> Hash32:
        return self._chain[-1].block.hash if self._chain else GENESIS_HASH

    def is_valid(self, block: ConsensusBlock) -> bool:
        if not isinstance(block, SimBlock) or block.payload == INVALID_PAYLOAD:
            return False
        return block.number == len(self._chain) + 1 and block.parent_hash == self.head_hash()

    def seal_hash(self, block: ConsensusBlock, round_number: int) -> Hash32:
        return keccak256(b"seal" + block.hash + round_number.to_bytes(8, "big"))


@dataclass(order=True)
class _Event:
    time: float
    seq: int
    kind: str = field(compare=False)
    node: int = field(compare=False)
    data: bytes = field(compare=False, default=b"")


Tamper = Callable[[int, int, bytes], bytes | None]
"""``(sender index, recipient index, bytes) -> bytes to deliver, or None to drop``."""


class SimNode:
    """One simulated validator: key, chain, persisted snapshot, and (while alive) its machine."""

    def __init__(self, index: int, private_key: bytes, config: QbftConfig) -> None:
        self.index = index
        self.signer = LocalKeySigner(private_key)
        self.chain: list[CommittedBlock] = []
        self.port = SimChainPort(self.chain)
        self.config = config
        self.persisted: bytes | None = None
        self.alive = True
        self.machine = _new_machine(self, None)
        self.rejections: list[Rejected] = []
        self.block_payload: Callable[[int, int], bytes] | None = None
        """Override what this node puts in the blocks it builds (e.g. ``INVALID_PAYLOAD``)."""

    @property
    def address(self) -> Address:
        return self.signer.address

    @property
    def head_number(self) -> int:
        return len(self.chain)


def _new_machine(node: SimNode, snapshot: Snapshot | None) -> QbftMachine:
    return QbftMachine(node.config, node.signer, node.port, restored=snapshot)


class SimNetwork:
    """N validators on one virtual clock; see the module docstring."""

    def __init__(
        self,
        private_keys: Sequence[bytes],
        *,
        config: QbftConfig | None = None,
        seed: int = 0,
        latency: tuple[float, float] = (0.01, 0.05),
        loss: float = 0.0,
        sync_interval: float = 1.0,
        validators_for_height: Callable[[int], Iterable[Address]] | None = None,
    ) -> None:
        self.config = config or QbftConfig(block_period=1.0, request_timeout=2.0, max_round_timeout=16.0)
        self.nodes = [SimNode(i, key, self.config) for i, key in enumerate(private_keys)]
        self.now = 0.0
        self.random = random.Random(seed)  # noqa: S311 - reproducible schedules, not secrets
        self.latency = latency
        self.loss = loss
        self.sync_interval = sync_interval
        self._validators_for_height = validators_for_height
        self._events: list[_Event] = []
        self._seq = 0
        self._groups: list[frozenset[int]] | None = None
        self.tamper: Tamper | None = None
        self.honest: set[int] = set(range(len(self.nodes)))
        """Nodes whose sent votes are checked for equivocation (exclude Byzantine ones)."""
        self.sent_votes: dict[tuple[Address, str, int, int], Hash32] = {}
        self.equivocations: list[tuple[Address, str, int, int]] = []
        self.messages_sent = 0

    # --- topology and faults ----------------------------------------------------------------------

    def validators(self, height: int) -> tuple[Address, ...]:
        if self._validators_for_height is not None:
            return tuple(self._validators_for_height(height))
        return tuple(n.address for n in self.nodes)

    def partition(self, *groups: Iterable[int]) -> None:
        self._groups = [frozenset(g) for g in groups]

    def heal(self) -> None:
        self._groups = None

    def reachable(self, a: int, b: int) -> bool:
        if self._groups is None:
            return True
        return any(a in g and b in g for g in self._groups)

    def crash(self, index: int) -> None:
        self.nodes[index].alive = False

    def restart(self, index: int) -> None:
        """Bring a crashed node back with a fresh machine restored from its persisted snapshot."""
        node = self.nodes[index]
        snapshot = Snapshot.decode(node.persisted, node.port) if node.persisted is not None else None
        node.machine = _new_machine(node, snapshot)
        node.alive = True
        self._apply(node, node.machine.start_height(self.height_info(node), self.now))

    # --- running ------------------------------------------------------------------------------------

    def height_info(self, node: SimNode) -> HeightInfo:
        if node.chain:
            parent = node.chain[-1].block
            return HeightInfo(
                parent.number + 1,
                self.validators(parent.number + 1),
                parent.proposer,
                parent.timestamp_ms / 1000,
            )
        return HeightInfo(1, self.validators(1), None, 0.0)

    def start(self) -> None:
        for node in self.nodes:
            self._apply(node, node.machine.start_height(self.height_info(node), self.now))
            self._push(self.now + self.sync_interval, "sync", node.index)

    def inject(self, recipient: int, data: bytes, delay: float = 0.0) -> None:
        """Deliver raw bytes to ``recipient`` (a Byzantine peer's message) after ``delay``."""
        self._push(self.now + delay, "deliver", recipient, data)

    def run_until(self, done: Callable[[SimNetwork], bool], *, max_time: float) -> bool:
        """Process events until ``done`` holds (True) or virtual time passes ``max_time`` (False)."""
        while self._events:
            if done(self):
                return True
            if self._events[0].time > max_time:
                break
            event = heapq.heappop(self._events)
            self.now = max(self.now, event.time)
            self._handle(event)
        self.now = max(self.now, max_time)
        return done(self)

    def run_for(self, duration: float) -> None:
        self.run_until(lambda _net: False, max_time=self.now + duration)

    # --- observation --------------------------------------------------------------------------------

    def heights(self) -> list[int]:
        return [n.head_number for n in self.nodes]

    def forks(self) -> dict[int, set[Hash32]]:
        """Return heights at which nodes hold different blocks (empty when safe)."""
        by_height: dict[int, set[Hash32]] = {}
        for node in self.nodes:
            for committed in node.chain:
                by_height.setdefault(committed.block.number, set()).add(committed.block.hash)
        return {h: hashes for h, hashes in by_height.items() if len(hashes) > 1}

    # --- internals ----------------------------------------------------------------------------------

    def _push(self, time: float, kind: str, node: int, data: bytes = b"") -> None:
        self._seq += 1
        heapq.heappush(self._events, _Event(time, self._seq, kind, node, data))

    def _handle(self, event: _Event) -> None:
        node = self.nodes[event.node]
        if event.kind == "sync":
            self._push(self.now + self.sync_interval, "sync", node.index)
            if node.alive:
                self._sync(node)
            return
        if not node.alive:
            return
        if event.kind == "deliver":
            self._apply(node, node.machine.on_message(event.data, self.now))
        elif event.kind == "tick":
            self._apply(node, node.machine.on_tick(self.now))
        elif event.kind == "build":
            height = int.from_bytes(event.data[:8], "big")
            round_number = int.from_bytes(event.data[8:], "big")
            if node.machine.height == height and node.head_number == height - 1:
                self._apply(
                    node, node.machine.on_block_built(self._build(node, height, round_number), self.now)
                )

    def _build(self, node: SimNode, height: int, round_number: int) -> SimBlock:
        payload = (
            node.block_payload(height, round_number)
            if node.block_payload is not None
            else f"node{node.index}/h{height}/r{round_number}".encode()
        )
        parent_ts = node.chain[-1].block.timestamp_ms if node.chain else 0
        return SimBlock(
            height,
            node.port.head_hash(),
            node.address,
            max(int(self.now * 1000), parent_ts + int(self.config.block_period * 1000)),
            payload,
        )

    def _apply(self, node: SimNode, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, PersistState):
                node.persisted = action.snapshot.encode()
            elif isinstance(action, Broadcast):
                self._broadcast(node, action)
            elif isinstance(action, RequestBlock):
                data = action.height.to_bytes(8, "big") + action.round.to_bytes(8, "big")
                self._push(self.now + 0.001, "build", node.index, data)
            elif isinstance(action, CommitBlock):
                self._commit(node, action)
            elif isinstance(action, SetTimer):
                self._push(action.deadline, "tick", node.index)
            else:
                node.rejections.append(action)

    def _record_vote(self, node: SimNode, message: QbftMessage) -> None:
        if node.index not in self.honest:
            return
        if isinstance(message, Proposal | Prepare):
            kind = "prepare"
            digest = message.block.hash if isinstance(message, Proposal) else message.digest
        elif isinstance(message, Commit):
            kind, digest = "commit", message.digest
        else:
            return
        key = (node.address, kind, message.height, message.round)
        previous = self.sent_votes.setdefault(key, digest)
        if previous != digest:
            self.equivocations.append(key)

    def _broadcast(self, node: SimNode, action: Broadcast) -> None:
        self._record_vote(node, action.message)
        data = action.encode()
        for other in self.nodes:
            if other.index == node.index:
                continue
            payload: bytes | None = data
            if self.tamper is not None:
                payload = self.tamper(node.index, other.index, data)
            if payload is None or not self.reachable(node.index, other.index):
                continue
            if self.loss and self.random.random() < self.loss:
                continue
            self.messages_sent += 1
            low, high = self.latency
            self._push(self.now + self.random.uniform(low, high), "deliver", other.index, payload)

    def _commit(self, node: SimNode, action: CommitBlock) -> None:
        block = action.block
        if not isinstance(block, SimBlock):
            raise MalformedMessage("the simulation only commits SimBlock")
        node.chain.append(CommittedBlock(block, action.round, action.seals))
        self._apply(node, node.machine.start_height(self.height_info(node), self.now))

    def _seals_valid(self, committed: CommittedBlock, port: SimChainPort) -> bool:
        """The import check of a synced block: a quorum of distinct validators sealed it."""
        validators = set(self.validators(committed.block.number))
        digest = port.seal_hash(committed.block, committed.round)
        signers: set[Address] = set()
        for seal in committed.seals:
            try:
                signers.add(recover_address(digest, seal))
            except MalformedMessage:
                return False
        return signers <= validators and len(signers) >= quorum(len(validators))

    def _sync(self, node: SimNode) -> None:
        """Import the next decided block from any reachable, alive peer that has it."""
        for peer in self.nodes:
            if peer is node or not peer.alive or not self.reachable(peer.index, node.index):
                continue
            if peer.head_number > node.head_number:
                committed = peer.chain[node.head_number]
                if committed.block.parent_hash != node.port.head_hash():
                    continue
                if not self._seals_valid(committed, node.port):
                    continue
                node.chain.append(committed)
                self._apply(node, node.machine.on_block_imported(self.height_info(node), self.now))
                return
