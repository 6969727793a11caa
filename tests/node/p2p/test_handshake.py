from __future__ import annotations

import pytest
from nacl.public import PrivateKey

from node.p2p.exceptions import HandshakeError, NetworkMismatch
from node.p2p.handshake import InitiatorHandshake, NetworkId, ResponderHandshake
from node.p2p.identity import NodeIdentity

NETWORK = NetworkId(1, b"\x11" * 32)


def _pair(network_i=NETWORK, network_r=NETWORK):
    a, b = NodeIdentity.generate(), NodeIdentity.generate()
    return a, b, InitiatorHandshake(a, network_i), ResponderHandshake(b, network_r)


def test_both_sides_authenticate_and_agree_on_direction_keys():
    a, b, initiator, responder = _pair()
    responder.read_first(initiator.first_message())
    assert initiator.read_second(responder.second_message()) == b.node_id
    assert responder.read_third(initiator.third_message()) == a.node_id
    ki, kr = initiator.keys(), responder.keys()
    assert ki.send_key == kr.receive_key
    assert ki.receive_key == kr.send_key
    assert ki.send_key != ki.receive_key
    assert ki.remote_id == b.node_id and kr.remote_id == a.node_id


def test_fresh_ephemerals_give_fresh_session_keys():
    keys = []
    a, b = NodeIdentity.generate(), NodeIdentity.generate()
    for _ in range(2):
        initiator, responder = InitiatorHandshake(a, NETWORK), ResponderHandshake(b, NETWORK)
        responder.read_first(initiator.first_message())
        initiator.read_second(responder.second_message())
        responder.read_third(initiator.third_message())
        keys.append(initiator.keys().send_key)
    assert keys[0] != keys[1]


@pytest.mark.parametrize(
    "other", [NetworkId(2, b"\x11" * 32), NetworkId(1, b"\x22" * 32)], ids=["chain id", "genesis"]
)
def test_other_network_is_refused_before_identities_are_exchanged(other):
    _, _, initiator, responder = _pair(network_i=other)
    with pytest.raises(NetworkMismatch):
        responder.read_first(initiator.first_message())
    with pytest.raises(HandshakeError):
        responder.second_message()


def test_wrong_protocol_tag_is_refused():
    _, _, initiator, responder = _pair()
    message = bytearray(initiator.first_message())
    message[0] ^= 1
    with pytest.raises(HandshakeError):
        responder.read_first(bytes(message))


def test_tampered_second_message_fails():
    _, _, initiator, responder = _pair()
    responder.read_first(initiator.first_message())
    message = bytearray(responder.second_message())
    message[-1] ^= 1
    with pytest.raises(HandshakeError):
        initiator.read_second(bytes(message))


def test_man_in_the_middle_substituting_ephemeral_is_detected():
    """An attacker who swaps the initiator's ephemeral cannot produce a valid responder signature."""
    _, _, initiator, responder = _pair()
    first = bytearray(initiator.first_message())
    first[-32:] = bytes(PrivateKey.generate().public_key)
    responder.read_first(bytes(first))
    with pytest.raises(HandshakeError):
        initiator.read_second(responder.second_message())


def test_low_order_ephemeral_is_refused():
    _, _, initiator, responder = _pair()
    first = initiator.first_message()[:-32] + bytes(32)
    with pytest.raises(HandshakeError, match="low-order"):
        responder.read_first(first)


def test_third_message_from_other_session_is_refused():
    a, b = NodeIdentity.generate(), NodeIdentity.generate()
    runs = []
    for _ in range(2):
        initiator, responder = InitiatorHandshake(a, NETWORK), ResponderHandshake(b, NETWORK)
        responder.read_first(initiator.first_message())
        initiator.read_second(responder.second_message())
        runs.append((initiator, responder))
    with pytest.raises(HandshakeError):
        runs[1][1].read_third(runs[0][0].third_message())
