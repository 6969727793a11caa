"""The one-command development stack: dev PKI, a five-validator devnet, the registries, the service's keys.

Plain functions so ``permitchain stack`` (and the end-to-end demo) only sequence them. Everything lives
in one folder (``var/`` for ``./scripts/run``):

- ``pki/``: the kz_eds development PKI; generated once and REUSED on later runs (keys people may have
  imported into a browser or a signing tool stay valid);
- ``devnet/``: the validators; each preparation stops and wipes a previous devnet and starts a FRESH one,
  so the contracts, the registrar keystore and the workflow database (``registry.sqlite3``) are also
  made afresh: a database that names permits anchored on a chain that no longer exists would lie;
- ``contracts.json``, ``registrar.keystore.json`` + ``registrar.password`` (0600),
  ``platform-check.key`` (0600, reused), ``api.env`` (0600: it holds the token secret).

The keys are DEVELOPMENT keys. Pure parts (:func:`staff_from_pki`, :func:`stack_environment`,
:func:`render_env_file`) take values, not folders, so they are tested without processes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from contracts.deploy import RegistryAddresses, deploy_registries
from kz_eds.dev_pki import ALGORITHMS, MANIFEST, DevPki, generate_dev_pki
from node.devnet import network
from platform_checks.report import write_new_signing_key
from registry_api.chain.keystore import write_keystore
from registry_api.exceptions import RegistryError

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
DEFAULT_NODES: Final = network.DEFAULT_NODES
DEPLOY_RECEIPT_TIMEOUT_SECONDS: Final = 60.0
PASSWORD_BYTES: Final = 24


class StackError(RegistryError):
    """The development stack cannot be prepared or stopped (a busy port, a devnet that will not start)."""

    code = "stack_failed"
    status = 500


@dataclass(frozen=True, slots=True)
class StackPaths:
    """Where each piece of a stack lives under its folder (one place, so up, run and down agree)."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def devnet(self) -> Path:
        return self.root / "devnet"

    @property
    def contracts(self) -> Path:
        return self.root / "contracts.json"

    @property
    def keystore(self) -> Path:
        return self.root / "registrar.keystore.json"

    @property
    def password(self) -> Path:
        return self.root / "registrar.password"

    @property
    def platform_check_key(self) -> Path:
        return self.root / "platform-check.key"

    @property
    def database(self) -> Path:
        return self.root / "registry.sqlite3"

    @property
    def env_file(self) -> Path:
        return self.root / "api.env"


@dataclass(frozen=True, slots=True)
class PreparedStack:
    """What a preparation made: the settings as environment plus what a person wants printed."""

    paths: StackPaths
    environment: dict[str, str]
    rpc_urls: tuple[str, ...]
    addresses: RegistryAddresses
    registrar: str
    api_url: str
    pki_reused: bool
    logins: dict[str, Path]  # who -> PKCS#12 of their EDS key (RSA), for a person trying the API by hand


# --- pure parts ----------------------------------------------------------------------------------


def staff_from_pki(manifest: Mapping[str, Any]) -> list[dict[str, str]]:
    """The ``REGISTRY_STAFF`` allow-list from a dev PKI manifest: each staff IIN with its role, once.

    Every algorithm's staff certificates carry their own IINs, so all of them are listed (an officer may
    log in with the RSA or the GOST key).
    """
    members: list[dict[str, str]] = []
    seen: set[str] = set()
    sections = manifest.get("algorithms")
    if not isinstance(sections, Mapping):
        raise StackError("the dev PKI manifest has no algorithms")
    for section in sections.values():
        for entry in section.get("staff", ()) if isinstance(section, Mapping) else ():
            iin, role = str(entry["iin"]), str(entry["role"])
            if iin not in seen:
                seen.add(iin)
                members.append({"iin": iin, "role": role})
    if not members:
        raise StackError("the dev PKI lists no staff; regenerate it (permitchain pki init DIR --force)")
    return members


def stack_environment(
    paths: StackPaths,
    *,
    rpc_urls: Sequence[str],
    regulator_bin: str,
    staff: Sequence[Mapping[str, str]],
    token_secret: str,
    public_base_url: str,
) -> dict[str, str]:
    """The registry settings (``REGISTRY_*``) of a dev stack, exactly as the service reads them.

    Lists and objects are JSON, as pydantic-settings parses them. Loopback probing is allowed because
    the applicants' devnets of a development machine run on loopback (refused in production).
    """
    root = paths.root.resolve()
    resolved = StackPaths(root)
    return {
        "REGISTRY_ENVIRONMENT": "dev",
        "REGISTRY_DEV_PKI_DIR": str(resolved.pki),
        "REGISTRY_DATABASE_URL": f"sqlite:///{resolved.database}",
        "REGISTRY_TOKEN_SECRET": token_secret,
        "REGISTRY_CHAIN_RPC_URLS": json.dumps(list(rpc_urls)),
        "REGISTRY_CHAIN_ADDRESSES_FILE": str(resolved.contracts),
        "REGISTRY_REGISTRAR_KEYSTORE_FILE": str(resolved.keystore),
        "REGISTRY_REGISTRAR_PASSWORD_FILE": str(resolved.password),
        "REGISTRY_PLATFORM_CHECK_KEY_FILE": str(resolved.platform_check_key),
        "REGISTRY_PLATFORM_CHECK_ALLOW_PRIVATE": "true",
        "REGISTRY_REGULATOR_BIN": regulator_bin,
        "REGISTRY_STAFF": json.dumps([dict(member) for member in staff]),
        "REGISTRY_PUBLIC_BASE_URL": public_base_url,
    }


def render_env_file(environment: Mapping[str, str]) -> str:
    """``KEY='value'`` lines a shell can ``source`` (``set -a; . DIR/api.env``) or a person can read."""
    header = "# Development settings written by `permitchain stack`; DEVELOPMENT keys, do not deploy.\n"
    return header + "".join(f"{key}={shlex.quote(value)}\n" for key, value in sorted(environment.items()))


# --- steps with I/O ------------------------------------------------------------------------------


def _write_secret(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def check_port_free(host: str, port: int) -> None:
    """Refuse to prepare anything when the API's port is taken (fail before minutes of set-up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise StackError(f"{host}:{port} is in use; stop what listens there or pass --port") from exc


def ensure_pki(
    paths: StackPaths, *, now: dt.datetime, algorithms: Sequence[str] = ALGORITHMS
) -> tuple[DevPki, bool]:
    """Reuse the dev PKI in ``paths.pki`` when it has staff certificates, else (re)generate it."""
    if (paths.pki / MANIFEST).exists():
        existing = DevPki.load(paths.pki)
        try:
            staff_from_pki(existing.manifest)
            return existing, True
        except StackError:
            pass  # made before staff certificates existed: replace it
    return generate_dev_pki(paths.pki, now=now, force=True, algorithms=algorithms), False


def stop_devnet(paths: StackPaths) -> list[str]:
    """Stop the stack's devnet (only the processes it started); return the nodes that were running."""
    if not paths.devnet.exists() or not any(paths.devnet.glob("node-*/node.json")):
        return []
    return network.down(paths.devnet)


def start_fresh_devnet(paths: StackPaths, *, nodes: int) -> dict[str, Any]:
    """Stop and wipe a previous devnet, then start ``nodes`` QBFT validators; return devnet.json."""
    stop_devnet(paths)
    shutil.rmtree(paths.devnet, ignore_errors=True)
    return network.up(paths.devnet, nodes=nodes, dev_accounts=2)


def deploy_contracts(
    paths: StackPaths, *, rpc_url: str, admin: LocalAccount, registrar: str
) -> RegistryAddresses:
    """Deploy the registries (gas price 0: a permissioned chain) and write ``contracts.json``."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": DEPLOY_RECEIPT_TIMEOUT_SECONDS}))
    addresses = deploy_registries(
        w3,
        admin=admin,
        registrars=[registrar],
        gas_price=0,
        receipt_timeout_s=DEPLOY_RECEIPT_TIMEOUT_SECONDS,
    )
    paths.contracts.write_text(json.dumps(addresses.to_json(), indent=2) + "\n", encoding="utf-8")
    return addresses


def write_registrar_key(paths: StackPaths, registrar: LocalAccount) -> None:
    """The registrar's key as an encrypted keystore with a fresh random password (both 0600)."""
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    _write_secret(paths.password, password + "\n")
    paths.keystore.unlink(missing_ok=True)
    write_keystore(paths.keystore, bytes(registrar.key), password)


def ensure_platform_check_key(paths: StackPaths) -> None:
    if not paths.platform_check_key.exists():
        write_new_signing_key(paths.platform_check_key)


def prepare(
    directory: Path,
    *,
    now: dt.datetime,
    nodes: int = DEFAULT_NODES,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    algorithms: Sequence[str] = ALGORITHMS,
    extra_environment: Mapping[str, str] | None = None,
) -> PreparedStack:
    """Make everything the service needs in ``directory`` and start the devnet (left running).

    On failure after the devnet started, the devnet is stopped again: no stray node processes.
    ``algorithms`` limits a NEW dev PKI (the demo needs only RSA); ``extra_environment`` adds settings.
    """
    directory = directory.resolve()  # node processes run in their own folders: paths must be absolute
    paths = StackPaths(directory)
    check_port_free(host, port)
    directory.mkdir(parents=True, exist_ok=True)
    pki, reused = ensure_pki(paths, now=now, algorithms=algorithms)
    description = start_fresh_devnet(paths, nodes=nodes)
    try:
        accounts = description["accounts"]
        admin: LocalAccount = Account.from_key(accounts[0]["private_key"])
        registrar: LocalAccount = Account.from_key(accounts[1]["private_key"])
        rpc_urls = tuple(str(url) for url in description["rpc"])
        addresses = deploy_contracts(paths, rpc_url=rpc_urls[0], admin=admin, registrar=registrar.address)
        write_registrar_key(paths, registrar)
        ensure_platform_check_key(paths)
        paths.database.unlink(missing_ok=True)  # the chain is new: so is the workflow's memory of it
        regulator = pki.manifest.get("regulator")
        regulator_bin = str(regulator["bin"]) if isinstance(regulator, dict) else ""
        api_url = f"http://{host}:{port}"
        environment = stack_environment(
            paths,
            rpc_urls=rpc_urls,
            regulator_bin=regulator_bin,
            staff=staff_from_pki(pki.manifest),
            token_secret=secrets.token_urlsafe(48),
            public_base_url=api_url,
        )
        environment.update(extra_environment or {})
        _write_secret(paths.env_file, render_env_file(environment))
    except BaseException:
        with signals_held():
            stop_devnet(paths)
        raise
    return PreparedStack(
        paths=paths,
        environment=environment,
        rpc_urls=rpc_urls,
        addresses=addresses,
        registrar=registrar.address,
        api_url=api_url,
        pki_reused=reused,
        logins=login_keys(pki),
    )


LOGINS: Final = {
    "officer login": "regulator_officer",
    "head login": "regulator_head_auth",
    "auditor login": "regulator_auditor",
    "applicant login": "legal_first_head_auth",
    "applicant signing": "legal_first_head",
}


def login_keys(pki: DevPki, algorithm: str = "RSA-SHA256") -> dict[str, Path]:
    """Where each demo person's EDS key is (PKCS#12; the password is the PKI's ``p12-password.txt``)."""
    return {who: pki.path(pki.identity(algorithm, identity)["p12"]) for who, identity in LOGINS.items()}


def summary(prepared: PreparedStack) -> str:
    """What a developer needs to start: where the API, the nodes, the contracts and the dev keys are."""
    paths = prepared.paths
    rows = [
        f"registry API   {prepared.api_url}   (docs {prepared.api_url}/docs)",
        f"verify page    {prepared.api_url}/verify/<permit number>",
        "chain RPC      " + "\n               ".join(prepared.rpc_urls),
        f"contracts      PermitRegistry {prepared.addresses.permit_registry}",
        f"               IssuerRegistry {prepared.addresses.issuer_registry}   ({paths.contracts})",
        f"registrar      {prepared.registrar}   (keystore {paths.keystore})",
        f"dev PKI        {paths.pki}{' (reused)' if prepared.pki_reused else ' (new)'}: staff and applicant"
        f" keys, PKCS#12 password in {paths.pki / 'p12-password.txt'}",
        *(f"  {who:<18} {path}" for who, path in prepared.logins.items()),
        f"settings       {paths.env_file}   (set -a; . {paths.env_file}; permitchain api)",
        f"database       {paths.database} (fresh each run, like the chain)",
        "All keys here are DEVELOPMENT keys: never use them for anything real.",
    ]
    return "\n".join(rows)


def serve(prepared: PreparedStack, *, host: str, port: int) -> int:
    """Serve the registry API in the foreground through the same code path as ``permitchain api``."""
    from permitchain.cli import main  # noqa: PLC0415 - the CLI imports this module's CLI

    os.environ.update(prepared.environment)
    return main(["api", "--host", host, "--port", str(port)])


@contextmanager
def signals_held() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while cleaning up, so a second press cannot leave nodes running.

    The cleanup is bounded (each node gets a grace period, then SIGKILL). Outside the main thread
    signal handlers cannot be changed, and there is nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def down(directory: Path) -> list[str]:
    """Stop what :func:`prepare` started (the devnet); files stay for inspection."""
    return stop_devnet(StackPaths(directory.resolve()))
