"""Property: over random schedules no two honest validators commit different blocks at a height.

Hypothesis draws the seed of the network's latency and loss, crash/restart and partition events and
optionally a Byzantine equivocating validator; the simulation replays each schedule exactly, so a
failure shrinks to a minimal reproducible schedule. After the chaos everything heals and the network
must also make progress again (liveness once a quorum is up and connected).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.simulation import SimNetwork
from tests.node.consensus.qbft.byzantine import Equivocator

KEYS = [bytes([i + 1]) * 32 for i in range(5)]
CONFIG = QbftConfig(block_period=1.0, request_timeout=1.0, max_round_timeout=4.0)

event = st.tuples(
    st.floats(min_value=0.0, max_value=30.0),
    st.sampled_from(["crash", "restart", "partition", "heal"]),
    st.integers(min_value=0, max_value=4),
    st.frozensets(st.integers(min_value=0, max_value=4), min_size=1, max_size=4),
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    loss=st.sampled_from([0.0, 0.05, 0.2]),
    max_latency=st.sampled_from([0.05, 0.5, 2.0]),
    byzantine=st.none() | st.integers(min_value=0, max_value=4),
    events=st.lists(event, max_size=6),
)
def test_no_fork_and_recovery_under_random_schedules(
    seed: int,
    loss: float,
    max_latency: float,
    byzantine: int | None,
    events: list[tuple[float, str, int, frozenset[int]]],
) -> None:
    net = SimNetwork(KEYS, config=CONFIG, seed=seed, latency=(0.01, max_latency), loss=loss)
    if byzantine is not None:
        net.tamper = Equivocator(net, byzantine, split={i for i in range(5) if i % 2 == byzantine % 2})
    net.start()
    for at, kind, node, group in sorted(events, key=lambda e: e[0]):
        net.run_until(lambda _n: False, max_time=at)
        if kind == "crash" and node != byzantine:
            net.crash(node)
        elif kind == "restart" and not net.nodes[node].alive:
            net.restart(node)
        elif kind == "partition":
            net.partition(group, set(range(5)) - group)
        elif kind == "heal":
            net.heal()
    net.run_until(lambda _n: False, max_time=35.0)
    assert net.forks() == {}
    assert net.equivocations == []

    # Heal everything: the honest validators must commit again.
    net.heal()
    net.loss = 0.0
    for sim_node in net.nodes:
        if not sim_node.alive:
            net.restart(sim_node.index)
    honest = [i for i in range(5) if i != byzantine]
    target = max(net.nodes[i].head_number for i in honest) + 1
    assert net.run_until(
        lambda n: all(n.nodes[i].head_number >= target for i in honest), max_time=net.now + 120
    )
    assert net.forks() == {}
    assert net.equivocations == []
