from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
from eth_typing import Address

from node.admin import NodeAdmin
from node.metrics import NodeMetrics, WithMetrics
from node.permissioning import AccountAllowlist
from node.provisioning import NetworkPlan, init_network
from node.service import NodeService
from node.structured_log import JsonLineFormatter
from tests.node.conftest import VALIDATOR_KEY
from tests.node.execution.test_chain_service import produce


def test_admin_reports_identity_and_changes_the_allowlist(chain):
    allowlist = AccountAllowlist(chain.store, chain.genesis.allowed_accounts)
    admin = NodeAdmin(
        public_key=VALIDATOR_KEY.public_key,
        name="n0",
        host="127.0.0.1",
        genesis=chain.genesis,
        allowlist=allowlist,
    )
    info = admin.node_info()
    assert info.node_id == VALIDATOR_KEY.public_key.to_bytes().hex()
    assert info.network_id == chain.chain_id
    assert "qbft" in info.genesis_config
    assert admin.peers() == ()
    assert admin.sync_progress() is None
    newcomer = Address(b"\x42" * 20)
    admin.add_accounts_to_allowlist([newcomer])
    assert admin.accounts_allowlist()[-1] == newcomer
    admin.remove_accounts_from_allowlist([newcomer])
    assert newcomer not in admin.accounts_allowlist()


def test_metrics_endpoint_counts_blocks_and_passes_other_paths_through(chain):
    metrics = NodeMetrics()
    block, _ = produce(chain, [])
    chain.commit_block(block)
    metrics.block_committed(block, ())
    hits = []

    async def rpc_app(scope, receive, send):
        hits.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"rpc"})

    async def scenario():
        transport = httpx.ASGITransport(app=WithMetrics(rpc_app, metrics))
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            text = (await client.get("/metrics")).text
            other = await client.post("/", content=b"{}")
        return text, other

    text, other = asyncio.run(scenario())
    assert "permitchain_chain_head_block 1.0" in text
    assert "permitchain_blocks_committed_total 1.0" in text
    assert other.text == "rpc"
    assert hits == ["/"]


def test_json_log_lines_carry_extra_fields():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    log = logging.getLogger("test.node.json")
    log.addHandler(handler)
    log.propagate = False
    log.warning("block_committed", extra={"number": 7, "hash": "0xab", "color_message": "x"})
    entry = json.loads(stream.getvalue())
    assert entry["event"] == "block_committed"
    assert entry["number"] == 7
    assert entry["level"] == "warning"
    assert "color_message" not in entry


def test_service_takes_the_empty_block_period_from_genesis(tmp_path):
    network = init_network(tmp_path / "net", NetworkPlan(empty_block_period_seconds=7, dev_accounts=1))
    service = NodeService(network.node_configs[0])
    try:
        assert service.producer.timing.empty_block_period == 7.0
        assert service.chain.genesis_hash == service.chain.head().hash
    finally:
        service.store.close()
