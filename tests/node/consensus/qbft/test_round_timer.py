import pytest

from node.consensus.exceptions import ConsensusConfigError, ConsensusError
from node.consensus.qbft.config import QbftConfig
from node.consensus.qbft.round_timer import round_timeout


def test_timeout_doubles_per_round_then_stays_at_the_cap() -> None:
    config = QbftConfig(request_timeout=1.0, max_round_timeout=10.0)
    assert [round_timeout(config, r) for r in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    # Besu networks reached rounds of 4096 s; here round 12 (and round 10**6) is still capped.
    assert round_timeout(config, 12) == 10.0
    assert round_timeout(config, 10**6) == 10.0


def test_negative_round_is_refused() -> None:
    with pytest.raises(ConsensusError):
        round_timeout(QbftConfig(), -1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"request_timeout": 0},
        {"request_timeout": -1.0},
        {"request_timeout": 5.0, "max_round_timeout": 4.0},
        {"block_period": -1.0},
        {"block_period": float("nan")},
        {"request_timeout": True},
        {"max_message_bytes": 0},
        {"future_height_window": -1},
        {"max_buffered_per_sender": 1.5},
        {"retained_past_rounds": -1},
    ],
)
def test_invalid_config_raises_a_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConsensusConfigError):
        QbftConfig(**kwargs)  # type: ignore[arg-type]
