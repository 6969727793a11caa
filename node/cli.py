"""``permitchain node``: create a network's files, print a genesis hash, run a node."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from eth_typing import Address
from eth_utils.address import is_hex_address, to_canonical_address, to_checksum_address

from node.chain_service import genesis_header
from node.config import load_node_config
from node.exceptions import ConfigError
from node.genesis import load_genesis
from node.p2p.identity import load_or_create_identity
from node.provisioning import DEV_WARNING, NetworkPlan, init_from_genesis, init_network


def _address(text: str) -> Address:
    if not is_hex_address(text):
        raise ConfigError(f"not an address: {text!r}")
    return Address(to_canonical_address(text))


def _alloc(text: str) -> tuple[Address, int]:
    address, _, amount = text.partition("=")
    try:
        wei = int(amount, 0)
    except ValueError as exc:
        raise ConfigError(f"--alloc wants ADDRESS=WEI, got {text!r}") from exc
    return _address(address), wei


def _init(args: argparse.Namespace) -> int:
    directory: Path = args.dir
    if args.genesis is not None:
        network = init_from_genesis(
            directory,
            args.genesis,
            rpc_port=args.rpc_port,
            peers=tuple(args.peer),
            p2p_port=args.p2p_port,
            observer=args.observer,
        )
    else:
        plan = NetworkPlan(
            chain_id=args.chain_id,
            validators=args.validators,
            gas_limit=args.gas_limit,
            dev_accounts=args.dev_accounts,
            extra_alloc=tuple(_alloc(a) for a in args.alloc),
            extra_allowed=tuple(_address(a) for a in args.allow),
            empty_block_period_seconds=args.empty_block_period,
            block_period_seconds=args.block_period,
            first_rpc_port=args.rpc_port,
            first_p2p_port=args.p2p_port,
            observers=args.observers,
        )
        network = init_network(directory, plan)
    summary = {
        "genesis": str(directory / "genesis.json"),
        "genesis_hash": "0x" + genesis_header(network.genesis).hash.hex(),
        "chain_id": network.genesis.chain_id,
        "validators": [to_checksum_address(v) for v in network.genesis.validators],
        "node_configs": [str(c.path) for c in network.node_configs],
    }
    p2p_keys = [c.p2p.key_path for c in network.node_configs if c.p2p is not None]
    if p2p_keys:
        summary["node_ids"] = [load_or_create_identity(k).node_id for k in p2p_keys]
    if network.dev_accounts:
        summary["dev_accounts"] = str(directory / "dev-accounts.json")
        summary["warning"] = DEV_WARNING
    print(json.dumps(summary, indent=2))
    return 0


def _genesis_hash(args: argparse.Namespace) -> int:
    print("0x" + genesis_header(load_genesis(args.genesis)).hash.hex())
    return 0


def _run(args: argparse.Namespace) -> int:
    # Imported here: the server stack is only needed by this command.
    from node.service import NodeService  # noqa: PLC0415
    from node.structured_log import configure_json_logging  # noqa: PLC0415

    config = load_node_config(args.config)
    configure_json_logging(config.log_level)
    service = NodeService(config)
    asyncio.run(service.serve())
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("node", help="create and run chain nodes")
    commands = parser.add_subparsers(dest="node_command", metavar="SUBCOMMAND", required=True)

    init = commands.add_parser("init", help="write a genesis file, node keys (0600) and node configs")
    init.add_argument("--dir", type=Path, required=True, help="network directory to create")
    init.add_argument("--genesis", type=Path, help="join an existing network's genesis instead")
    init.add_argument("--chain-id", type=int, default=7210)
    init.add_argument("--validators", type=int, default=1, help="validator keys to generate")
    init.add_argument("--gas-limit", type=int, default=30_000_000)
    init.add_argument("--dev-accounts", type=int, default=0, help="funded, allow-listed DEVELOPMENT accounts")
    init.add_argument("--alloc", action="append", default=[], metavar="ADDRESS=WEI", help="fund an account")
    init.add_argument("--allow", action="append", default=[], metavar="ADDRESS", help="allow-list an account")
    init.add_argument("--block-period", type=int, default=1, help="QBFT block period, seconds")
    init.add_argument("--empty-block-period", type=int, default=0, help="seconds; 0 = no empty blocks")
    init.add_argument("--rpc-port", type=int, default=8545, help="RPC port of node-0 (node-i gets +i)")
    init.add_argument("--p2p-port", type=int, default=30303, help="p2p port of node-0 (node-i gets +i)")
    init.add_argument("--observers", type=int, default=0, help="non-validating nodes that follow by sync")
    init.add_argument(
        "--observer", action="store_true", help="with --genesis: a node that follows by sync, never votes"
    )
    init.add_argument("--peer", action="append", default=[], metavar="ID@HOST:PORT", help="with --genesis")
    init.set_defaults(handler=_init)

    run = commands.add_parser("run", help="run a node until SIGTERM")
    run.add_argument("--config", type=Path, required=True, help="node.json written by 'node init'")
    run.set_defaults(handler=_run)

    ghash = commands.add_parser("genesis-hash", help="print the genesis block hash a genesis file defines")
    ghash.add_argument("--genesis", type=Path, required=True)
    ghash.set_defaults(handler=_genesis_hash)
