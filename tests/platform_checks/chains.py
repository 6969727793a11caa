"""Test chains built and sealed here with real secp256k1 keys, following each engine's published rules.

Written independently of ``platform_checks`` (own RLP layouts, own hashing) so the probes are checked
against the rules, not against themselves:

* QBFT (Besu): extraData RLP [vanity, validators, vote ([] = none), round (RLP int), seals]; block hash
  over [vanity, validators, vote, 0, []]; commit seal over [vanity, validators, vote, round, []].
* IBFT 2.0 (Besu): vote null = 0x80, round 4 bytes; hash over [vanity, validators, vote]; seal over
  [vanity, validators, vote, round].
* Clique (EIP-225): vanity ‖ signers (checkpoint) ‖ seal; seal over the header minus the 65 seal bytes;
  in-turn difficulty 2, out-of-turn 1.
"""

from __future__ import annotations

from typing import Any

import rlp
from eth_hash.auto import keccak
from eth_keys.datatypes import PrivateKey

BFT_MIX = bytes.fromhex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365")
EMPTY_UNCLES = keccak(rlp.encode([]))
EMPTY_TRIE = keccak(rlp.encode(b""))


def make_keys(count: int, seed: int = 1) -> list[PrivateKey]:
    return [PrivateKey((seed * 1000 + i + 1).to_bytes(32, "big")) for i in range(count)]


def addr(key: PrivateKey) -> bytes:
    return bytes(key.public_key.to_canonical_address())


def seal(key: PrivateKey, digest: bytes) -> bytes:
    sig: Any = key.sign_msg_hash(digest)
    return bytes(sig.r.to_bytes(32, "big") + sig.s.to_bytes(32, "big") + bytes([sig.v]))


class Chain:
    """A sealed chain; ``blocks`` holds each block as ``eth_getBlockByNumber`` returns it."""

    def __init__(self, engine: str, validators: list[PrivateKey], *, chain_id: int = 1337) -> None:
        self.engine = engine
        self.validators = validators
        self.chain_id = chain_id
        self.blocks: list[dict[str, str]] = []
        self.timestamp = 1_700_000_000
        self.with_base_fee = True
        self._append(self._genesis_extra(), sealers=[], round_=0, parent=bytes(32), signer=None)

    # --- extraData layouts -------------------------------------------------------------------
    def _validator_items(self) -> list[bytes]:
        return [addr(k) for k in self.validators]

    def _bft_items(self, round_: int, seals: list[bytes] | None, *, for_hash: bool) -> list[object]:
        vanity = bytes(32)
        if self.engine == "qbft":
            items: list[object] = [vanity, self._validator_items(), []]
            items.append(0 if for_hash else round_)
            items.append([] if seals is None else seals)
            return items
        items = [vanity, self._validator_items(), b""]
        if for_hash:
            return items
        items.append(round_.to_bytes(4, "big"))
        if seals is not None:
            items.append(seals)
        return items

    def _genesis_extra(self) -> bytes:
        if self.engine == "clique":
            return bytes(32) + b"".join(sorted(self._validator_items())) + bytes(65)
        return bytes(rlp.encode(self._bft_items(0, [], for_hash=False)))

    # --- headers -----------------------------------------------------------------------------
    def _fields(
        self, number: int, parent: bytes, extra: bytes, difficulty: int, miner: bytes
    ) -> list[object]:
        mix = BFT_MIX if self.engine != "clique" else bytes(32)
        fields: list[object] = [
            parent,
            EMPTY_UNCLES,
            miner,
            keccak(b"state" + number.to_bytes(8, "big")),
            EMPTY_TRIE,
            EMPTY_TRIE,
            bytes(256),
            difficulty,
            number,
            30_000_000,
            0,
            self.timestamp + number,
            extra,
            mix,
            bytes(8),
        ]
        if self.with_base_fee:
            fields.append(0)
        return fields

    def _append(
        self,
        extra: bytes,
        *,
        sealers: list[PrivateKey],
        round_: int,
        parent: bytes,
        signer: PrivateKey | None,
        tamper_hash: bool = False,
    ) -> None:
        number = len(self.blocks)
        if self.engine == "clique":
            signers = sorted(self._validator_items())
            difficulty = 2 if signer is not None and signers[number % len(signers)] == addr(signer) else 1
            fields = self._fields(number, parent, extra, difficulty, bytes(20))
            if signer is not None:
                fields[12] = extra[:-65]
                digest = keccak(rlp.encode(fields))
                fields[12] = extra[:-65] + seal(signer, digest)
            block_hash = keccak(rlp.encode(fields))
        else:
            proposer = addr(sealers[0]) if sealers else bytes(20)
            fields = self._fields(number, parent, b"", 1, proposer)
            fields[12] = rlp.encode(self._bft_items(round_, None, for_hash=False))
            digest = keccak(rlp.encode(fields))
            seals = [seal(k, digest) for k in sealers]
            fields[12] = rlp.encode(self._bft_items(round_, None, for_hash=True))
            block_hash = keccak(rlp.encode(fields))
            fields[12] = rlp.encode(self._bft_items(round_, seals, for_hash=False))
        if tamper_hash:
            block_hash = keccak(block_hash)
        self.blocks.append(self._json(fields, block_hash))

    def _json(self, fields: list[object], block_hash: bytes) -> dict[str, str]:
        names = [
            "parentHash",
            "sha3Uncles",
            "miner",
            "stateRoot",
            "transactionsRoot",
            "receiptsRoot",
            "logsBloom",
            "difficulty",
            "number",
            "gasLimit",
            "gasUsed",
            "timestamp",
            "extraData",
            "mixHash",
            "nonce",
            "baseFeePerGas",
        ]
        out: dict[str, str] = {}
        for name, value in zip(names, fields, strict=False):
            out[name] = hex(value) if isinstance(value, int) else "0x" + bytes(value).hex()  # type: ignore[call-overload]
        out["hash"] = "0x" + block_hash.hex()
        out["size"] = "0x100"
        out["transactions"] = []  # type: ignore[assignment]
        out["uncles"] = []  # type: ignore[assignment]
        return out

    # --- growing the chain -------------------------------------------------------------------
    @property
    def head_hash(self) -> bytes:
        return bytes.fromhex(self.blocks[-1]["hash"][2:])

    def mine(
        self,
        count: int = 1,
        *,
        sealers: list[PrivateKey] | None = None,
        round_: int = 0,
        tamper_hash: bool = False,
    ) -> None:
        """Append ``count`` blocks; BFT: sealed by ``sealers`` (default: a rotating quorum)."""
        for _ in range(count):
            number = len(self.blocks)
            n = len(self.validators)
            if self.engine == "clique":
                ordered = sorted(self.validators, key=addr)
                signer = (sealers or [ordered[number % n]])[0]
                extra = bytes(32) + bytes(65)
                self._append(
                    extra, sealers=[], round_=0, parent=self.head_hash, signer=signer, tamper_hash=tamper_hash
                )
            else:
                quorum = -(-2 * n // 3)
                chosen = (
                    sealers
                    if sealers is not None
                    else [self.validators[(number + i) % n] for i in range(quorum)]
                )
                self._append(
                    b"",
                    sealers=chosen,
                    round_=round_,
                    parent=self.head_hash,
                    signer=None,
                    tamper_hash=tamper_hash,
                )

    def validator_addresses(self) -> list[str]:
        return ["0x" + addr(k).hex() for k in self.validators]
