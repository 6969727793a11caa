"""Pure policies of the transport: allow-list, scores and bans, dial backoff, configuration."""

from __future__ import annotations

import random

import pytest

from node.abc import MessageKind
from node.p2p.allowlist import AllowListChange, PeerAllowList
from node.p2p.backoff import Backoff
from node.p2p.config import DEFAULT_KIND_LIMITS, StaticPeer, TransportConfig
from node.p2p.events import LogThrottle
from node.p2p.exceptions import IdentityError, TransportConfigError
from node.p2p.identity import NodeIdentity
from node.p2p.scoring import PeerScoreBook


def test_allowlist_notifies_effective_changes_only():
    a, b = NodeIdentity.generate().node_id, NodeIdentity.generate().node_id
    allowlist = PeerAllowList([a])
    changes = []
    unsubscribe = allowlist.subscribe(lambda change, node_id: changes.append((change, node_id)))
    assert allowlist.add(b.upper()) and not allowlist.add(b)
    assert allowlist.remove(a) and not allowlist.remove(a)
    assert changes == [(AllowListChange.ADDED, b), (AllowListChange.REMOVED, a)]
    assert b in allowlist and a not in allowlist and list(allowlist) == [b]
    unsubscribe()
    allowlist.add(a)
    assert len(changes) == 2
    with pytest.raises(IdentityError):
        allowlist.add("not-a-key")


def test_score_decays_and_threshold_bans_for_a_while():
    book = PeerScoreBook(threshold=100, half_life=10, ban_seconds=60)
    assert not book.penalise("p", 60, now=0)
    assert book.score("p", now=10) == pytest.approx(30)
    assert not book.penalise("p", 60, now=10)  # 30 + 60 < 100: forgiven by decay
    assert book.penalise("p", 60, now=11)  # ~88 + 60 >= 100
    assert book.is_banned("p", now=70)
    assert book.banned_until("p", now=70) == pytest.approx(71)
    assert not book.is_banned("p", now=71)
    assert book.score("p", now=71) == 0


def test_backoff_grows_is_capped_jittered_and_resets():
    backoff = Backoff(base=0.5, cap=4.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    nominal = [0.5, 1, 2, 4, 4, 4, 4, 4]
    for delay, window in zip(delays, nominal, strict=True):
        assert window / 2 <= delay <= window
    assert len(set(delays)) == len(delays)  # jitter: no two equal
    again = Backoff(base=0.5, cap=4.0, rng=random.Random(3))
    assert [again.next_delay() for _ in range(8)] == delays  # reproducible with the same RNG
    backoff.reset()
    assert backoff.next_delay() <= 0.5


def test_static_peer_parsing():
    node_id = NodeIdentity.generate().node_id
    peer = StaticPeer.parse(f"{node_id}@10.77.0.2:30303")
    assert (peer.node_id, peer.host, peer.port) == (node_id, "10.77.0.2", 30303)
    assert StaticPeer.parse(str(peer)) == peer
    for bad in ["nohost", f"{node_id}@host", f"{node_id}@host:0", "abc@host:1"]:
        with pytest.raises(TransportConfigError):
            StaticPeer.parse(bad)


def test_config_invariants_raise():
    with pytest.raises(TransportConfigError):
        TransportConfig(ping_interval=5, idle_timeout=5)
    with pytest.raises(TransportConfigError):
        TransportConfig(kind_limits={MessageKind.CONSENSUS: 10})
    with pytest.raises(TransportConfigError):
        TransportConfig(send_queue_messages=0)
    node_id = NodeIdentity.generate().node_id
    peer = StaticPeer(node_id, "127.0.0.1", 1)
    with pytest.raises(TransportConfigError):
        TransportConfig(static_peers=(peer, peer))
    assert TransportConfig().max_body > max(DEFAULT_KIND_LIMITS.values())


def test_log_throttle_lets_the_first_line_through_and_counts_the_rest():
    throttle = LogThrottle(interval=30)
    key = ("10.0.0.9", "ab", "not on the allow-list")
    assert throttle.admit(key, now=0) == 0
    assert throttle.admit(key, now=1) is None
    assert throttle.admit(key, now=2) is None
    assert throttle.admit(("other",), now=2) == 0
    assert throttle.admit(key, now=31) == 2
    assert throttle.admit(key, now=32) is None
