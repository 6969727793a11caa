"""Five validator processes on loopback (the shared ``devnet5``): they agree on one chain, finalize a
transaction sent to any of them, show real peers and their p2p identity, and refuse what they must."""

from __future__ import annotations

import pytest
from eth_account import Account

from permitchain.cli import main
from tests.node.network.cluster import Devnet, RpcFailed, assert_same_chain, rpc, wait_final_everywhere

pytestmark = [pytest.mark.slow, pytest.mark.network]


def test_a_transaction_sent_to_any_node_is_final_on_all(devnet5: Devnet) -> None:
    sender = devnet5.account(0)
    blocks = set()
    for url in devnet5.urls:
        tx_hash = sender.transfer(url, devnet5.chain_id)
        receipts = wait_final_everywhere(tx_hash, devnet5.urls)
        assert receipts[0]["status"] == "0x1"
        blocks.add(receipts[0]["blockNumber"])
    assert len(blocks) == 5  # each one its own block: nothing waited for a batch
    top = assert_same_chain(devnet5.urls)
    assert top >= 5
    # BFT finality is immediate: what is in the head is final (no new transactions meanwhile).
    tags = {
        rpc(devnet5.urls[0], "eth_getBlockByNumber", [t, False])["hash"]
        for t in ("latest", "safe", "finalized")
    }
    assert len(tags) == 1


def test_blocks_carry_a_quorum_of_commit_seals_and_rotate_proposers(devnet5: Devnet) -> None:
    sender = devnet5.account(1)
    for _ in range(5):
        wait_final_everywhere(sender.transfer(devnet5.urls[0], devnet5.chain_id), devnet5.urls)
    metrics = rpc(devnet5.urls[1], "qbft_getSignerMetrics", [])
    proposers = {m["address"].lower() for m in metrics}
    validators = {v.lower() for v in rpc(devnet5.urls[2], "qbft_getValidatorsByBlockNumber", ["latest"])}
    assert proposers <= validators and len(proposers) >= 3
    assert validators == {v.lower() for v in devnet5.description["validators"]}
    assert_same_chain(devnet5.urls)


def test_nodes_show_their_peers_and_p2p_identity(devnet5: Devnet) -> None:
    ids = []
    for url in devnet5.urls:
        info = rpc(url, "admin_nodeInfo")
        assert info["enode"].startswith(f"enode://{info['id']}@127.0.0.1:")
        assert len(info["id"]) == 64  # Ed25519 public key
        assert info["protocols"]["eth"]["config"]["qbft"]["blockperiodseconds"] >= 0
        ids.append(info["id"])
        assert rpc(url, "net_peerCount") == "0x4"
    assert len(set(ids)) == 5
    peers = {p["id"] for p in rpc(devnet5.urls[0], "admin_peers")}
    assert peers == set(ids[1:])


def test_a_sender_off_the_allow_list_is_refused_by_every_node(devnet5: Devnet) -> None:
    stranger = Account.create()
    raw = Account.sign_transaction(
        {
            "nonce": 0,
            "gas": 21_000,
            "to": "0x" + "55" * 20,
            "value": 0,
            "gasPrice": 0,
            "chainId": devnet5.chain_id,
        },
        stranger.key,
    ).raw_transaction
    for url in devnet5.urls:
        with pytest.raises(RpcFailed):
            rpc(url, "eth_sendRawTransaction", ["0x" + raw.hex()])


def test_devnet_status_shows_heights_peers_validators_and_rounds(
    devnet5: Devnet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devnet", "status", "--dir", str(devnet5.directory)]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5
    for row in rows:
        fields = dict(part.split("=", 1) for part in row[2:])
        assert row[1] == "running" and fields["peers"] == "4" and fields["validators"] == "5"
        assert fields["round"] in {"None", "0", "1"} and int(fields["height"]) >= 0
