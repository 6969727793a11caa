from __future__ import annotations

import json

import pytest

from node.config import load_node_config
from node.exceptions import ConfigError
from node.keys import generate_key, load_key, write_key
from node.provisioning import NetworkPlan, init_network


def test_key_roundtrip_refuses_overwrite_and_loose_permissions(tmp_path):
    key = generate_key()
    path = tmp_path / "node.key"
    write_key(key, path)
    assert load_key(path) == key
    with pytest.raises(ConfigError, match="overwrite"):
        write_key(generate_key(), path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_key(path)
    path.chmod(0o600)
    path.write_text("zz")
    with pytest.raises(ConfigError, match="32-byte"):
        load_key(path)
    with pytest.raises(ConfigError, match="not found"):
        load_key(tmp_path / "absent.key")


def test_config_written_by_init_loads_with_relative_paths(tmp_path):
    network = init_network(tmp_path / "net", NetworkPlan(first_rpc_port=9100))
    moved = tmp_path / "moved"
    (tmp_path / "net").rename(moved)
    config = load_node_config(moved / "node-0" / "node.json")
    assert config.genesis_path == moved / "genesis.json"
    assert config.key_path == moved / "node-0" / "node.key"
    assert config.rpc_port == 9100
    assert config.pool.max_transaction_bytes == 128 * 1024
    assert network.genesis.validators == (load_key(config.key_path).public_key.to_canonical_address(),)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"format": "x"}, "format"),
        ({"rpc": {"port": 70000}}, "rpc.port"),
        ({"pool": {"maxPerSender": 0}}, "pool.maxPerSender"),
        ({"logLevel": "LOUD"}, "logLevel"),
        ({"dataDir": ""}, "dataDir"),
        ({"producer": {"minBlockIntervalMs": -1}}, "producer.minBlockIntervalMs"),
    ],
)
def test_bad_config_is_refused(tmp_path, patch, message):
    network = init_network(tmp_path / "net", NetworkPlan())
    path = network.node_configs[0].path
    data = json.loads(path.read_text())
    data.update(patch)
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=message):
        load_node_config(path)
