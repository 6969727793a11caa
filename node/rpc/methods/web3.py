"""The ``web3_`` namespace: client version and Keccak-256."""

from __future__ import annotations

from eth_utils.crypto import keccak

from node.rpc import inbound, outbound
from node.rpc.dispatch import CallContext, Method, Namespace
from node.rpc.inbound import Params


def namespace(client_version: str) -> Namespace:
    def version(params: Params, ctx: CallContext) -> str:
        params.take(0)
        return client_version

    def sha3(params: Params, ctx: CallContext) -> str:
        (value,) = params.take(1)
        return outbound.hex_data(keccak(inbound.data(value, "data")))

    return Namespace("web3", {"clientVersion": Method(version), "sha3": Method(sha3)})
