"""Send the registrar's transactions: estimate, reserve a nonce, sign, record, broadcast, await finality.

The caller's ``record`` hook runs after signing and *before* broadcasting, so the transaction hash is
durable before the network can know it: a crash after that point is resumed by asking the chain about
that hash (and about the permit itself) instead of sending blindly. Finality is the node's ``finalized``
block reaching the receipt's block (QBFT: immediate, so ``finalized`` = ``latest``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from registry_api.chain.exceptions import ChainError, ChainReverted
from registry_api.chain.gateway import RpcGateway
from registry_api.chain.nonces import NonceBook

_REASON = re.compile(r"execution reverted:?\s*(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction about to be broadcast."""

    tx_hash: str
    nonce: int
    sender: str


@dataclass(frozen=True, slots=True)
class Finalized:
    """Where a transaction landed, once its block is final."""

    tx_hash: str
    block_number: int
    block_hash: str
    succeeded: bool


def revert_reason(exc: Exception) -> str:
    text = exc.message if isinstance(exc, ContractLogicError) and exc.message else str(exc)
    match = _REASON.search(text)
    return (match.group(1).strip() if match else text).strip("'\"")


class RegistrarSender:
    """One registrar account's sending side over an :class:`RpcGateway`."""

    def __init__(
        self,
        gateway: RpcGateway,
        account: LocalAccount,
        nonces: NonceBook,
        *,
        gas_price: int = 0,
        confirmation_timeout_s: float = 60.0,
        poll_s: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.account = account
        self.address = str(account.address)
        self.nonces = nonces
        self.gas_price = gas_price
        self.confirmation_timeout_s = confirmation_timeout_s
        self._poll_s = poll_s
        self._sleep = sleep
        self._monotonic = monotonic

    def _estimate(self, tx: dict[str, Any], step: str) -> int:
        def estimate(w3: Web3) -> int:
            return int(w3.eth.estimate_gas(tx))  # type: ignore[arg-type]

        try:
            return self.gateway.call(step, estimate)
        except (ContractLogicError, Web3RPCError) as exc:
            reason = revert_reason(exc)
            raise ChainReverted(f"{step}: the contract refused: {reason}", reason=reason) from exc

    def send(self, to: str, data: str, step: str, record: Callable[[SignedTx], None]) -> SignedTx:
        """Sign and broadcast a call of ``to`` with ``data``; ``record`` persists the hash first."""
        chain_id = self.gateway.call(step, lambda w3: int(w3.eth.chain_id))
        tx: dict[str, Any] = {
            "from": self.address,
            "to": to,
            "data": data,
            "chainId": chain_id,
            "gasPrice": self.gas_price,
        }
        tx["gas"] = self._estimate(tx, step)
        with self.nonces.lock(self.address):
            for attempt in range(2):
                try:
                    return self._sign_record_broadcast(tx, step, record)
                except Web3RPCError as exc:
                    self.nonces.reset(self.address)
                    # Another process may have used this account meanwhile: one retry from `pending`.
                    if attempt == 0 and "nonce" in str(exc).lower():
                        continue
                    raise ChainError(f"{step}: the node refused the transaction: {exc}") from exc
                except BaseException:
                    self.nonces.reset(self.address)
                    raise
        raise ChainError(f"{step}: no nonce was accepted")  # pragma: no cover - the loop returns or raises

    def _sign_record_broadcast(
        self, tx: dict[str, Any], step: str, record: Callable[[SignedTx], None]
    ) -> SignedTx:
        tx["nonce"] = self.nonces.reserve(
            self.address,
            lambda: self.gateway.call(
                step, lambda w3: int(w3.eth.get_transaction_count(self.account.address, "pending"))
            ),
        )
        signed = self.account.sign_transaction(tx)
        sent = SignedTx(
            tx_hash=HexBytes(signed.hash).to_0x_hex(), nonce=int(tx["nonce"]), sender=self.address
        )
        record(sent)
        self.gateway.call(step, lambda w3: w3.eth.send_raw_transaction(signed.raw_transaction))
        return sent

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        def read(w3: Web3) -> dict[str, Any] | None:
            try:
                return dict(w3.eth.get_transaction_receipt(HexBytes(tx_hash)))
            except TransactionNotFound:
                return None

        return self.gateway.call(f"receipt of {tx_hash}", read)

    def is_pending(self, tx_hash: str) -> bool:
        """Whether some node still holds the transaction (so waiting, not re-sending, is right)."""

        def read(w3: Web3) -> bool:
            try:
                w3.eth.get_transaction(HexBytes(tx_hash))
            except TransactionNotFound:
                return False
            return True

        return self.gateway.call(f"transaction {tx_hash}", read)

    def finalized_height(self) -> int:
        return self.gateway.call("finalized block", lambda w3: int(w3.eth.get_block("finalized")["number"]))

    def wait_final(self, tx_hash: str) -> Finalized:
        """Wait for the receipt and for the ``finalized`` block to reach it; ChainError after the timeout."""
        deadline = self._monotonic() + self.confirmation_timeout_s
        receipt = self.receipt(tx_hash)
        while receipt is None:
            if self._monotonic() >= deadline:
                self.nonces.reset(self.address)  # the node may have dropped it: re-read before the next one
                raise ChainError(f"no receipt for {tx_hash} within {self.confirmation_timeout_s:g} s")
            self._sleep(self._poll_s)
            receipt = self.receipt(tx_hash)
        block = int(receipt["blockNumber"])
        while self.finalized_height() < block:
            if self._monotonic() >= deadline:
                raise ChainError(
                    f"block {block} of {tx_hash} not final within {self.confirmation_timeout_s:g} s"
                )
            self._sleep(self._poll_s)
        return Finalized(
            tx_hash=tx_hash,
            block_number=block,
            block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
            succeeded=int(receipt["status"]) == 1,
        )
