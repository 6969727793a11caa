"""The consensus package's errors, all under :class:`ConsensusError` (itself a ``NodeError``).

Malformed or forged network input is an everyday event, not a bug: decoding raises
:class:`MalformedMessage`, which the state machine turns into a ``Rejected`` action instead of letting
it escape to the transport.
"""

from __future__ import annotations

from node.exceptions import NodeError


class ConsensusError(NodeError):
    """Root of every error the consensus package raises on purpose."""

    code = "consensus_error"


class ConsensusConfigError(ConsensusError):
    """A consensus parameter breaks an invariant (e.g. a maximum timeout below the base timeout)."""

    code = "consensus_config_invalid"


class MalformedMessage(ConsensusError):
    """A consensus message could not be decoded or its signature could not be recovered."""

    code = "consensus_message_malformed"


class InvalidSnapshot(ConsensusError):
    """A persisted consensus snapshot cannot be decoded or does not fit the machine restoring it."""

    code = "consensus_snapshot_invalid"


class ProtocolMisuse(ConsensusError):
    """The node drove the machine against its contract (e.g. started a height below the current one)."""

    code = "consensus_protocol_misuse"
