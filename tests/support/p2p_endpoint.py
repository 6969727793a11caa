"""A TCP transport endpoint run as its own process (inside a namespace) for network tests.

Prints ``peers N`` whenever its peer count changes and ``ready HOST:PORT`` once listening; exits when
its standard input closes. Short keepalive timings so a cut link is noticed within about a second.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path

from node.p2p import (
    NetworkId,
    PeerAllowList,
    StaticPeer,
    TcpTransport,
    TransportConfig,
    load_or_create_identity,
)


async def serve(args: argparse.Namespace) -> None:
    identity = load_or_create_identity(Path(args.key))
    peers = tuple(StaticPeer.parse(text) for text in args.peer)
    config = TransportConfig(
        listen_host=args.host,
        listen_port=args.port,
        static_peers=peers,
        handshake_timeout=1.0,
        ping_interval=0.2,
        idle_timeout=1.0,
        dial_backoff_base=0.1,
        dial_backoff_cap=0.5,
    )
    network = NetworkId(args.chain_id, bytes.fromhex(args.genesis))
    transport = TcpTransport(
        identity, network, PeerAllowList(p.node_id for p in peers), config, rng=random.Random(1)
    )
    await transport.start()
    host, port = transport.listen_address
    print(f"ready {host}:{port}", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    last = -1
    while not stdin_closed.done():
        count = transport.peer_count()
        if count != last:
            print(f"peers {count}", flush=True)
            last = count
        await asyncio.sleep(0.05)
    await transport.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--peer", action="append", default=[])
    parser.add_argument("--chain-id", type=int, default=7700)
    parser.add_argument("--genesis", default="00" * 32)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
