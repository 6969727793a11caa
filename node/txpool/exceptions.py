"""Why the pool refuses a transaction: one class per reason, each with a stable ``code``.

The RPC layer maps every :class:`~node.exceptions.TxRejected` to a JSON-RPC error carrying the message;
the ``code`` lets clients and tests tell reasons apart without parsing text.
"""

from __future__ import annotations

from node.exceptions import TxRejected


class MalformedTransaction(TxRejected):
    code = "tx_malformed"


class UnsupportedTransactionType(TxRejected):
    code = "tx_type_unsupported"


class TransactionTooLarge(TxRejected):
    code = "tx_too_large"


class InvalidSignature(TxRejected):
    code = "tx_invalid_signature"


class WrongChainId(TxRejected):
    code = "tx_wrong_chain_id"


class SenderNotAllowed(TxRejected):
    """Account permissioning: the sender is not on the node's allow-list."""

    code = "tx_sender_not_allowed"


class GasLimitExceeded(TxRejected):
    code = "tx_gas_exceeds_block_limit"


class IntrinsicGasTooLow(TxRejected):
    code = "tx_intrinsic_gas_too_low"


class Underpriced(TxRejected):
    code = "tx_underpriced"


class NonceTooLow(TxRejected):
    code = "tx_nonce_too_low"


class NonceTooHigh(TxRejected):
    code = "tx_nonce_too_high"


class AlreadyKnown(TxRejected):
    code = "tx_already_known"


class ReplacementUnderpriced(TxRejected):
    code = "tx_replacement_underpriced"


class InsufficientFunds(TxRejected):
    code = "tx_insufficient_funds"


class SenderPoolFull(TxRejected):
    code = "tx_sender_limit_reached"


class PoolFull(TxRejected):
    code = "tx_pool_full"
