"""Real local HTTP JSON-RPC servers for the tests: honest nodes serving a test chain, and hostile ones.

Each server runs ``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread. A :class:`NodeBackend`
is one node (identity, peers, filters, a view of a shared :class:`~tests.platform_checks.chains.Chain`);
several servers may share one backend to model "the same node behind several URLs".
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.platform_checks.chains import Chain

ENGINE_NAMESPACES = {"qbft": "qbft", "ibft2": "ibft", "clique": "clique"}


class RpcFailure(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class NodeBackend:
    """One honest node: answers what a Besu-like client answers, minus what ``disabled`` lists."""

    chain: Chain
    node_id: str
    peers: list[str] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)
    coinbase: str | None = None
    """Answer ``eth_coinbase`` with this address (Besu: the node's signing key); absent: method not found."""
    head_offset: int = 0
    """Serve the chain as if this many of its newest blocks had not arrived yet (a lagging node)."""
    filters: dict[str, int] = field(default_factory=dict)
    filter_counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def head(self) -> int:
        return max(len(self.chain.blocks) - 1 - self.head_offset, 0)

    def handle(self, method: str, params: list[Any]) -> Any:
        if method in self.disabled or method.split("_", maxsplit=1)[0] + "_*" in self.disabled:
            raise RpcFailure(-32601, "Method not found")
        chain = self.chain
        if method == "web3_clientVersion":
            return "besu/v24.1.0/linux-x86_64/openjdk-java-17"
        if method == "eth_chainId":
            return hex(chain.chain_id)
        if method == "net_version":
            return str(chain.chain_id)
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_getBlockByNumber":
            tag = params[0]
            number = self.head if tag == "latest" else int(tag, 16)
            return chain.blocks[number] if number <= self.head else None
        if method == "admin_nodeInfo":
            return {
                "enode": f"enode://{self.node_id}@127.0.0.1:30303",
                "id": self.node_id,
                "name": "besu",
                "protocols": {"eth": {"config": {"chainId": chain.chain_id}}},
            }
        if method == "admin_peers":
            return [{"enode": f"enode://{p}@10.0.0.1:30303", "id": "0x" + p} for p in self.peers]
        if method == "eth_coinbase" and self.coinbase is not None:
            return self.coinbase
        if method == "net_peerCount":
            return hex(len(self.peers))
        namespace = ENGINE_NAMESPACES[chain.engine]
        if method in (f"{namespace}_getValidatorsByBlockNumber", "clique_getSigners") and method.startswith(
            namespace
        ):
            return chain.validator_addresses()
        if method == "eth_newBlockFilter":
            with self.lock:
                self.filter_counter += 1
                fid = hex(self.filter_counter)
                self.filters[fid] = self.head
            return fid
        if method == "eth_getFilterChanges":
            if params[0] not in self.filters:
                raise RpcFailure(-32000, "filter not found")
            return []
        if method == "eth_uninstallFilter":
            return self.filters.pop(params[0], None) is not None
        raise RpcFailure(-32601, "Method not found")


Responder = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]


def json_responder(backend: NodeBackend) -> Responder:
    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        try:
            answer = {
                "jsonrpc": "2.0",
                "id": request.get("id"),
                "result": backend.handle(request["method"], request.get("params", [])),
            }
        except RpcFailure as exc:
            answer = {
                "jsonrpc": "2.0",
                "id": request.get("id"),
                "error": {"code": exc.code, "message": str(exc)},
            }
        send_json(handler, answer)

    return respond


def send_json(handler: BaseHTTPRequestHandler, answer: Any, status: int = 200) -> None:
    body = json.dumps(answer).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real nodes serve; every responder sends a length or closes
    responder: Responder
    seen_headers: list[dict[str, str]]

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms per call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        self.seen_headers.append(dict(self.headers))
        with suppress(BrokenPipeError, ConnectionResetError):
            self.responder(self, request)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops concurrent SYNs: 1 s retransmit stalls
    daemon_threads = True


@dataclass
class RunningServer:
    url: str
    server: ThreadingHTTPServer
    seen_headers: list[dict[str, str]]


@contextmanager
def serve(responder: Responder) -> Iterator[RunningServer]:
    seen: list[dict[str, str]] = []
    handler = type("H", (_Handler,), {"responder": staticmethod(responder), "seen_headers": seen})
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RunningServer(f"http://127.0.0.1:{server.server_address[1]}/", server, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_many(responders: list[Responder]) -> Iterator[list[RunningServer]]:
    with ExitStack() as stack:
        yield [stack.enter_context(serve(r)) for r in responders]


# --- hostile behaviours ----------------------------------------------------------------------------


def slow_responder(delay_s: float) -> Responder:
    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        time.sleep(delay_s)
        send_json(handler, {"jsonrpc": "2.0", "id": request.get("id"), "result": "0x1"})

    return respond


def trickle_responder(total_s: float) -> Responder:
    """Sends a valid answer one byte at a time, slower than any per-read timeout would notice."""

    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": "0x1"}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(total_s / len(body))

    return respond


def huge_responder(total_bytes: int, *, declare_length: bool) -> Responder:
    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declare_length:
            handler.send_header("Content-Length", str(total_bytes))
        else:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        chunk = b" " * 65536
        sent = 0
        while sent < total_bytes:
            handler.wfile.write(chunk)
            sent += len(chunk)

    return respond


def raw_responder(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Responder:
    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def redirect_responder() -> Responder:
    """Redirects every request to itself, forever."""

    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        host, port = handler.server.server_address[:2]  # type: ignore[index,str-unpack]
        handler.send_response(307)
        handler.send_header("Location", f"http://{host}:{port}/again")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def shape_responder(result: Any) -> Responder:
    """A well-formed envelope around a result of the wrong shape, for every method."""

    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        send_json(handler, {"jsonrpc": "2.0", "id": request.get("id"), "result": result})

    return respond


def lying_identity_responder(backend: NodeBackend, claimed_id: str) -> Responder:
    """The same node, but claiming another identity in ``admin_nodeInfo`` (a proxy that lies)."""
    honest = json_responder(backend)

    def respond(handler: BaseHTTPRequestHandler, request: dict[str, Any]) -> None:
        if request.get("method") == "admin_nodeInfo":
            info = {"enode": f"enode://{claimed_id}@127.0.0.1:30303", "id": claimed_id}
            send_json(handler, {"jsonrpc": "2.0", "id": request.get("id"), "result": info})
        else:
            honest(handler, request)

    return respond
