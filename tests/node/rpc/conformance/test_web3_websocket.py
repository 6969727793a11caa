"""web3.py's persistent WebSocket provider: calls and an eth_subscribe newHeads stream, parsed by web3."""

from __future__ import annotations

import asyncio
from typing import Any

from web3 import AsyncWeb3, WebSocketProvider
from web3.middleware import ExtraDataToPOAMiddleware

from tests.node.rpc.conformance.chain_client import address_of, transact, web3_for
from tests.node.rpc.conformance.conftest import RpcTarget


def test_web3_websocket_provider_receives_new_heads(rpc: RpcTarget) -> None:
    async def scenario() -> tuple[int, Any, int]:
        async with AsyncWeb3(WebSocketProvider(rpc.ws_url)) as w3:
            w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
            chain_id = await w3.eth.chain_id
            subscription_id = await w3.eth.subscribe("newHeads")
            # a transaction makes the next block; send it from a thread so this loop keeps reading
            receipt = await asyncio.to_thread(
                transact, web3_for(rpc), rpc.sender, {"to": address_of(rpc.sender), "value": 1}
            )
            async for message in w3.socket.process_subscriptions():
                head = message["result"]
                if head["number"] >= receipt["blockNumber"]:
                    break
            assert await w3.eth.unsubscribe(subscription_id) is True
            return chain_id, head, receipt["blockNumber"]

    chain_id, head, mined_in = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert chain_id == rpc.chain_id
    assert head["number"] == mined_in
    assert len(head["hash"]) == 32
