"""Why the pool refuses a transaction: one class per reason, each with a stable ``code``.

Messages are the phrases geth uses ("nonce too low", "replacement transaction underpriced", …):
ethers.js and web3.py recognise those phrases and turn them into their own typed errors, so a client
written against geth or Besu behaves the same here. The ``code`` lets clients and tests tell reasons
apart without parsing text; the RPC layer puts it in the JSON-RPC error's ``data``.
"""

from __future__ import annotations

from typing import ClassVar

from node.exceptions import TxRejected


class PoolRejection(TxRejected):
    """A refusal whose message defaults to the canonical phrase of its reason."""

    phrase: ClassVar[str] = "transaction rejected"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.phrase)


class MalformedTransaction(PoolRejection):
    code = "invalid_encoding"
    phrase = "invalid transaction encoding"


class UnsupportedTransactionType(PoolRejection):
    code = "tx_type_not_supported"
    phrase = "transaction type not supported"


class TransactionTooLarge(PoolRejection):
    code = "oversized_data"
    phrase = "oversized data"


class InvalidSignature(PoolRejection):
    code = "invalid_signature"
    phrase = "invalid sender"


class WrongChainId(PoolRejection):
    code = "invalid_chain_id"
    phrase = "invalid chain id"


class SenderNotAllowed(PoolRejection):
    """Account permissioning: the sender is not on the node's allow-list."""

    code = "sender_not_allowed"
    phrase = "sender not allowed"


class GasLimitExceeded(PoolRejection):
    code = "gas_limit_exceeded"
    phrase = "exceeds block gas limit"


class IntrinsicGasTooLow(PoolRejection):
    code = "intrinsic_gas_too_low"
    phrase = "intrinsic gas too low"


class Underpriced(PoolRejection):
    code = "underpriced"
    phrase = "transaction underpriced"


class NonceTooLow(PoolRejection):
    code = "nonce_too_low"
    phrase = "nonce too low"


class NonceTooHigh(PoolRejection):
    code = "nonce_too_high"
    phrase = "nonce too high"


class AlreadyKnown(PoolRejection):
    code = "already_known"
    phrase = "already known"


class ReplacementUnderpriced(PoolRejection):
    code = "replacement_underpriced"
    phrase = "replacement transaction underpriced"


class InsufficientFunds(PoolRejection):
    code = "insufficient_funds"
    phrase = "insufficient funds for gas * price + value"


class SenderPoolFull(PoolRejection):
    code = "sender_limit_reached"
    phrase = "txpool is full for this sender"


class PoolFull(PoolRejection):
    code = "txpool_full"
    phrase = "txpool is full"
