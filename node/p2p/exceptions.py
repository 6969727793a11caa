"""Errors of the node-to-node transport, all under one root derived from :class:`node.exceptions.NodeError`.

Each carries a stable ``code`` so a caller (the consensus engine, ``admin_*`` RPC, the CLI) can act on the
kind of failure without parsing messages. Reasons a peer is dropped are *not* exceptions the upper layer
sees: the transport handles them itself (disconnect, score, log); these are what a caller's own request can
fail with, plus the handshake outcomes the transport logs.
"""

from __future__ import annotations

from node.exceptions import NodeError


class P2PError(NodeError):
    """Root of every error the transport raises on purpose."""

    code = "p2p_error"


class IdentityError(P2PError):
    """The node key file is unreadable, malformed or readable by others than its owner."""

    code = "p2p_identity_invalid"


class TransportConfigError(P2PError):
    """A transport setting or a static peer entry is invalid."""

    code = "p2p_config_invalid"


class HandshakeError(P2PError):
    """The remote side did not complete the authenticated handshake (bad tag, signature, key, EOF)."""

    code = "p2p_handshake_failed"


class NetworkMismatch(HandshakeError):
    """The remote node belongs to another chain (different chain id or genesis hash)."""

    code = "p2p_network_mismatch"


class PeerRefused(HandshakeError):
    """The remote proved its key, but that key is not allowed (not allow-listed, banned, or unexpected)."""

    code = "p2p_peer_refused"


class FrameError(P2PError):
    """A frame broke the wire protocol; the connection it came on is dropped."""

    code = "p2p_bad_frame"


class OversizedFrame(FrameError):
    """A frame announced a length over the configured bound; it is refused before being read."""

    code = "p2p_oversized_frame"


class ReplayedFrame(FrameError):
    """A frame carried a counter other than the next expected one (replay, reordering or loss)."""

    code = "p2p_replayed_frame"


class DecryptionFailed(FrameError):
    """A frame failed authentication: tampered, truncated or encrypted under another key."""

    code = "p2p_decryption_failed"


class PeerNotConnected(P2PError):
    """A message or request was addressed to a peer with no live connection."""

    code = "p2p_peer_not_connected"


class PeerBackpressure(P2PError):
    """The peer's send queue was full: it does not read, so it was disconnected."""

    code = "p2p_peer_backpressure"


class RequestTimeout(P2PError):
    """A request got no response within its timeout."""

    code = "p2p_request_timeout"


class RequestFailed(P2PError):
    """The peer answered a request with an error (no handler for the kind, or the handler failed)."""

    code = "p2p_request_failed"


class MessageTooLarge(P2PError):
    """A payload handed to the transport is larger than the limit for its kind."""

    code = "p2p_message_too_large"
