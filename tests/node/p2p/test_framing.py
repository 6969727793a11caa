from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.abc import MessageKind
from node.p2p.envelope import Envelope, Role
from node.p2p.exceptions import DecryptionFailed, FrameError, OversizedFrame, ReplayedFrame
from node.p2p.framing import FRAME_HEADER, FrameOpener, FrameSealer

KEY = os.urandom(32)


def _open(opener: FrameOpener, frame: bytes) -> bytes:
    header, ciphertext = frame[: FRAME_HEADER.size], frame[FRAME_HEADER.size :]
    assert opener.read_header(header) == len(ciphertext)
    return opener.open(header, ciphertext)


def test_frames_round_trip_in_order_and_hide_the_plaintext():
    sealer, opener = FrameSealer(KEY), FrameOpener(KEY, 1024)
    frames = [sealer.seal(b"secret payload %d" % i) for i in range(3)]
    assert all(b"secret payload" not in frame for frame in frames)
    assert [_open(opener, frame) for frame in frames] == [b"secret payload %d" % i for i in range(3)]


def test_replayed_frame_is_refused():
    sealer, opener = FrameSealer(KEY), FrameOpener(KEY, 1024)
    frame = sealer.seal(b"once")
    _open(opener, frame)
    with pytest.raises(ReplayedFrame):
        opener.read_header(frame[: FRAME_HEADER.size])


def test_reordered_frame_is_refused():
    sealer, opener = FrameSealer(KEY), FrameOpener(KEY, 1024)
    sealer.seal(b"first")
    second = sealer.seal(b"second")
    with pytest.raises(ReplayedFrame):
        opener.read_header(second[: FRAME_HEADER.size])


def test_tampered_ciphertext_and_header_are_refused():
    sealer = FrameSealer(KEY)
    frame = bytearray(sealer.seal(b"payload"))
    frame[-1] ^= 0x01
    with pytest.raises(DecryptionFailed):
        _open(FrameOpener(KEY, 1024), bytes(frame))


def test_wrong_key_is_refused():
    frame = FrameSealer(KEY).seal(b"payload")
    with pytest.raises(DecryptionFailed):
        _open(FrameOpener(os.urandom(32), 1024), frame)


def test_oversized_length_is_refused_from_the_header_alone():
    opener = FrameOpener(KEY, 1024)
    with pytest.raises(OversizedFrame):
        opener.read_header(FRAME_HEADER.pack(2**31, 0))


def test_envelope_round_trip_and_unknown_kind():
    envelope = Envelope(MessageKind.BLOCK_SYNC, Role.REQUEST, 42, b"range")
    assert Envelope.decode(envelope.encode()) == envelope
    with pytest.raises(FrameError):
        Envelope.decode(b"\xff" + envelope.encode()[1:])
    with pytest.raises(FrameError):
        Envelope.decode(b"\x01")


@settings(max_examples=60, deadline=None)
@given(payloads=st.lists(st.binary(max_size=256), min_size=1, max_size=5), data=st.data())
def test_any_single_byte_change_of_any_frame_is_refused(payloads, data):
    sealer, opener = FrameSealer(KEY), FrameOpener(KEY, 1024)
    frames = [sealer.seal(payload) for payload in payloads]
    victim = data.draw(st.integers(0, len(frames) - 1))
    for frame, payload in zip(frames[:victim], payloads[:victim], strict=True):
        assert _open(opener, frame) == payload
    damaged = bytearray(frames[victim])
    position = data.draw(st.integers(0, len(damaged) - 1))
    damaged[position] ^= data.draw(st.integers(1, 255))
    header, ciphertext = bytes(damaged[: FRAME_HEADER.size]), bytes(damaged[FRAME_HEADER.size :])
    with pytest.raises(FrameError):
        length = opener.read_header(header)
        if length != len(ciphertext):
            raise FrameError("length changed")  # on the wire this desynchronises and fails next frame
        opener.open(header, ciphertext)
