"""Send one account's transactions to any web3 provider and wait for them to succeed.

A local key (:class:`eth_account.signers.local.LocalAccount`) signs here and the transaction goes in
raw, which is what a node without unlocked accounts needs; an address is used as an account the
provider signs for (eth-tester). Fees: an explicit ``gas_price`` (0 on a permissioned zero-fee chain)
sends a legacy price; otherwise the fee fields follow the chain (EIP-1559 fields when blocks carry a
base fee). A revert becomes :class:`TransactionReverted` with the contract's reason string, whatever
the provider (a node's JSON-RPC error or eth-tester's exception).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address
from eth_utils.exceptions import ValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception

from contracts.exceptions import ContractsError, InvalidValueError

DEFAULT_RECEIPT_TIMEOUT_S = 120.0
_REASON = re.compile(r"execution reverted:?\s*(.*)", re.DOTALL)


class TransactionError(ContractsError):
    """A transaction could not be sent, was not mined in time, or failed."""

    code = "contracts_transaction_failed"


class TransactionReverted(TransactionError):
    """The contract refused the transaction; ``reason`` is its revert string ("" when it gave none)."""

    code = "contracts_transaction_reverted"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def checksum_address(value: str, what: str) -> ChecksumAddress:
    if not is_address(value):
        raise InvalidValueError(f"{what} is not an address: {value!r}")
    return to_checksum_address(value)


def account_address(account: LocalAccount | str, what: str = "account") -> ChecksumAddress:
    return checksum_address(account.address if isinstance(account, LocalAccount) else account, what)


def _revert_reason(exc: Exception) -> str:
    text = exc.message if isinstance(exc, ContractLogicError) and exc.message else str(exc)
    match = _REASON.search(text)
    reason = match.group(1).strip() if match else text
    return "" if reason in ("b''", "0x") else reason


class TransactionSender:
    """Sends one account's transactions. Nonces are tracked locally after the first read, so
    consecutive steps never race the node's view of pending transactions."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount | str,
        *,
        gas_price: int | None = None,
        receipt_timeout_s: float = DEFAULT_RECEIPT_TIMEOUT_S,
    ) -> None:
        if gas_price is not None and gas_price < 0:
            raise InvalidValueError("gas price must not be negative")
        self._w3 = w3
        self._local = account if isinstance(account, LocalAccount) else None
        self.address = account_address(account)
        self._gas_price = gas_price
        self._timeout = receipt_timeout_s
        self._nonce: int | None = None
        self.chain_id = int(w3.eth.chain_id)

    def _fee_fields(self) -> dict[str, int]:
        if self._gas_price is not None:
            return {"gasPrice": self._gas_price}
        base_fee = self._w3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self._w3.eth.gas_price)}
        # Priority fee 0: validators of a permissioned chain are not paid to include transactions.
        return {"maxFeePerGas": 2 * int(base_fee), "maxPriorityFeePerGas": 0}

    def next_nonce(self) -> int:
        """Return the nonce the next transaction will carry (read from the node once, then tracked)."""
        if self._nonce is None:
            self._nonce = int(self._w3.eth.get_transaction_count(self.address, "pending"))
        return self._nonce

    def send(self, tx: dict[str, Any], step: str) -> dict[str, Any]:
        """Complete ``tx`` (from, nonce, chain id, fees, gas), send it, wait and return the receipt.

        Gas is estimated first, so a transaction the contract would refuse is never sent: its revert
        reason comes back as :class:`TransactionReverted` and no nonce is used.
        """
        return self.send_all([(tx, step)])[0]

    def send_all(self, steps: Sequence[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
        """Send several transactions with consecutive nonces at once, then wait for every receipt.

        Why: they can share one block instead of taking a block (a block period) each. Each is
        estimated against the current state before any is sent, so a revert found there sends
        nothing; the price is that they must not depend on each other's effects.
        """
        prepared = [self._complete(tx, step) for tx, step in steps]
        hashes = [self._submit(tx, step) for tx, (_, step) in zip(prepared, steps, strict=True)]
        return [self._wait(tx_hash, step) for tx_hash, (_, step) in zip(hashes, steps, strict=True)]

    def _complete(self, tx: dict[str, Any], step: str) -> dict[str, Any]:
        tx = {**tx, "from": self.address, "chainId": self.chain_id, **self._fee_fields()}
        try:
            if "gas" not in tx:
                tx["gas"] = int(self._w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        except (ContractLogicError, TransactionFailed) as exc:
            reason = _revert_reason(exc)
            raise TransactionReverted(
                f"{step}: reverted: {reason or 'no reason given'}", reason=reason
            ) from exc
        except (Web3Exception, ValidationError, ValueError, OSError) as exc:
            raise TransactionError(f"{step}: {exc}") from exc
        return tx

    def _submit(self, tx: dict[str, Any], step: str) -> HexBytes:
        tx = {**tx, "nonce": self.next_nonce()}
        try:
            if self._local is not None:
                tx_hash = self._w3.eth.send_raw_transaction(self._local.sign_transaction(tx).raw_transaction)
            else:
                tx_hash = self._w3.eth.send_transaction(tx)  # type: ignore[arg-type]
        except (Web3Exception, TransactionFailed, ValidationError, ValueError, OSError) as exc:
            self._nonce = None  # re-read next time: the node may not have taken this nonce
            raise TransactionError(f"{step}: {exc}") from exc
        self._nonce = int(tx["nonce"]) + 1
        return HexBytes(tx_hash)

    def _wait(self, tx_hash: HexBytes, step: str) -> dict[str, Any]:
        try:
            receipt = self._w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self._timeout)
        except TimeExhausted as exc:
            raise TransactionError(f"{step}: no receipt within {self._timeout:g} s") from exc
        except (Web3Exception, TransactionFailed, ValidationError, ValueError, OSError) as exc:
            self._nonce = None
            raise TransactionError(f"{step}: {exc}") from exc
        if receipt["status"] != 1:
            raise TransactionError(f"{step}: transaction {tx_hash.to_0x_hex()} failed")
        return dict(receipt)
