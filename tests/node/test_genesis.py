from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from node.chain_service import ChainService, genesis_header
from node.exceptions import ConfigError
from node.genesis import load_genesis, parse_genesis
from node.storage.lmdb_store import LmdbStore
from permitchain.cli import main

GOLDEN = Path(__file__).with_name("data") / "genesis-golden.json"
# Computed once from GOLDEN by this implementation; any change to header layout, hashing rule, state
# encoding or genesis parsing changes it, which is exactly what must never happen silently.
GOLDEN_HASH = "0x0d9acfa945acc2f1bbfdd196b1af789378f2b2f8a16c4b5638dcd0ac7ba391dd"


def test_golden_genesis_hash(capsys):
    assert main(["node", "genesis-hash", "--genesis", str(GOLDEN)]) == 0
    assert capsys.readouterr().out.strip() == GOLDEN_HASH


def test_genesis_hash_depends_on_every_network_field():
    base = json.loads(GOLDEN.read_text())
    reference = genesis_header(parse_genesis(base)).hash
    changes: tuple[dict[str, object], ...] = (
        {"chainId": 7211},
        {"gasLimit": 30000001},
        {"timestamp": 1735689601},
        {"validators": ["0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"]},
        {"alloc": {}},
    )
    for change in changes:
        changed = genesis_header(parse_genesis({**base, **change})).hash
        if "chainId" in change:
            # EIP-155: the chain id is not in the genesis block; two networks must also differ in a field
            assert changed == reference
        else:
            assert changed != reference


def test_two_inits_from_one_genesis_file_give_the_same_genesis(tmp_path, capsys):
    assert main(["node", "init", "--dir", str(tmp_path / "a"), "--genesis", str(GOLDEN)]) == 0
    assert main(["node", "init", "--dir", str(tmp_path / "b"), "--genesis", str(GOLDEN)]) == 0
    capsys.readouterr()
    hashes = set()
    for name in ("a", "b"):
        genesis = load_genesis(tmp_path / name / "genesis.json")
        store = LmdbStore(tmp_path / name / "node-0" / "data")
        hashes.add("0x" + ChainService(store, genesis).genesis_hash.hex())
        store.close()
    assert hashes == {GOLDEN_HASH}


def test_init_writes_private_key_and_config(tmp_path, capsys):
    directory = tmp_path / "net"
    argv = ["node", "init", "--dir", str(directory), "--validators", "2", "--dev-accounts", "2"]
    assert main([*argv, "--block-period", "2", "--empty-block-period", "30"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["validators"]) == 2
    for index in (0, 1):
        key = directory / f"node-{index}" / "node.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_text().strip() not in capsys.readouterr().out
    assert stat.S_IMODE((directory / "dev-accounts.json").stat().st_mode) == 0o600
    genesis = load_genesis(directory / "genesis.json")
    dev = json.loads((directory / "dev-accounts.json").read_text())
    assert "DEVELOPMENT" in dev["warning"]
    assert len(genesis.allowed_accounts) == 2
    assert genesis.bft.block_period_seconds == 2
    assert genesis.bft.empty_block_period_seconds == 30
    # a second init into the same directory is refused with a message, not a traceback
    assert main(["node", "init", "--dir", str(directory)]) == 1
    assert "already holds a network" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "format"),
        ({"chainId": 0}, "chainId"),
        ({"gasLimit": "lots"}, "gasLimit"),
        ({"validators": []}, "validators"),
        ({"validators": ["0x1234"]}, "validators"),
        ({"alloc": {"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf": {"balance": -1}}}, "balance"),
        ({"permissioning": {"accounts": ["nope"]}}, "permissioning"),
        ({"vanity": "0x00"}, "vanity"),
    ],
)
def test_bad_genesis_is_refused_with_a_clear_message(change, message):
    base = json.loads(GOLDEN.read_text())
    with pytest.raises(ConfigError, match=message):
        parse_genesis({**base, **change})


def test_unreadable_files_are_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["node", "genesis-hash", "--genesis", str(bad)]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["node", "run", "--config", str(tmp_path / "missing.json")]) == 1
    assert "not found" in capsys.readouterr().err
