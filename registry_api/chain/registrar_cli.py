"""``permitchain registrar``: the registries' admin rotates the registry service's registrar key.

``rotate`` adds the new registrar and removes the old one (each step waits for its receipt); permits
anchored by the old key stay valid. ``keystore`` encrypts a registrar key into an eth-account keystore
for the service (``REGISTRY_REGISTRAR_KEYSTORE_FILE``). Keys are read from files, never from arguments.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware

from contracts.cli import read_private_key
from registry_api.chain.keystore import read_password_file, write_keystore
from registry_api.chain.registrars import rotate_registrar
from registry_api.chain.registry import load_addresses


def _rotate(args: argparse.Namespace) -> int:
    admin = read_private_key(args.admin_key_file)
    w3 = Web3(HTTPProvider(args.rpc))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    addresses = load_addresses(args.addresses)
    rotate_registrar(w3, admin=admin, addresses=addresses, new=args.new, old=args.old)
    print(f"registrar {args.new} added" + (f"; {args.old} removed" if args.old else ""))
    return 0


def _keystore(args: argparse.Namespace) -> int:
    account = read_private_key(args.key_file)
    password = read_password_file(args.password_file)
    address = write_keystore(args.out, bytes(account.key), password)
    print(f"keystore for {address} written to {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("registrar", help="the registry service's registrar key (admin acts)")
    commands = parser.add_subparsers(dest="registrar_command", metavar="SUBCOMMAND", required=True)
    rotate = commands.add_parser("rotate", help="add the new registrar and remove the old one")
    rotate.add_argument("--rpc", required=True)
    rotate.add_argument("--addresses", type=Path, required=True, help="output of 'contracts deploy'")
    rotate.add_argument("--admin-key-file", type=Path, required=True)
    rotate.add_argument("--new", required=True, help="address of the new registrar")
    rotate.add_argument("--old", help="address of the registrar to retire")
    rotate.set_defaults(handler=_rotate)
    keystore = commands.add_parser("keystore", help="encrypt a registrar key for the service")
    keystore.add_argument("--key-file", type=Path, required=True)
    keystore.add_argument("--password-file", type=Path, required=True)
    keystore.add_argument("--out", type=Path, required=True)
    keystore.set_defaults(handler=_keystore)
