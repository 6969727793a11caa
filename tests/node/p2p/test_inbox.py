from __future__ import annotations

import asyncio

from node.abc import InboundMessage, MessageKind
from node.p2p.inbox import SubscriptionSet

from .conftest import run


def _message(n: int) -> InboundMessage:
    return InboundMessage("peer", MessageKind.CONSENSUS, b"%d" % n)


def test_full_subscription_makes_the_sender_wait_and_close_releases_it():
    async def body():
        subscriptions = SubscriptionSet(capacity=2)
        subscription = subscriptions.subscribe(frozenset({MessageKind.CONSENSUS}))
        assert subscriptions.matching(MessageKind.CONSENSUS) == [subscription]
        assert subscriptions.matching(MessageKind.STATUS) == []
        await subscription.put(_message(1))
        await subscription.put(_message(2))
        blocked = asyncio.ensure_future(subscription.put(_message(3)))
        await asyncio.sleep(0.01)
        assert not blocked.done()  # backpressure: no room
        assert (await anext(subscription)).payload == b"1"
        await asyncio.wait_for(blocked, 1)  # room again: the sender proceeds
        blocked = asyncio.ensure_future(subscription.put(_message(4)))
        await asyncio.sleep(0.01)
        subscription.close()  # closing must never leave a sender stuck
        await asyncio.wait_for(blocked, 1)
        assert [m.payload async for m in subscription] == [b"2", b"3"]
        assert subscriptions.matching(MessageKind.CONSENSUS) == []
        assert not subscription.offer(_message(5))

    run(body())


def test_offer_drops_when_the_subscriber_lags():
    async def body():
        subscription = SubscriptionSet(capacity=1).subscribe(None)
        assert subscription.offer(_message(1))
        assert not subscription.offer(_message(2))
        assert [m.payload for m in subscription.drain_nowait()] == [b"1"]
        assert subscription.offer(_message(3))

    run(body())
