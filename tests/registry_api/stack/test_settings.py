"""The stack's pure parts: the settings it hands the service, the env file, staff from the dev PKI."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from registry_api.core.config import load_settings
from registry_api.dev_stack import (
    StackError,
    StackPaths,
    render_env_file,
    stack_environment,
    staff_from_pki,
)

STAFF = [{"iin": "880214470419", "role": "officer"}, {"iin": "750822339575", "role": "head"}]
RPC = [f"http://127.0.0.1:{port}" for port in (9001, 9002, 9003, 9004, 9005)]


def environment(tmp_path: Path) -> dict[str, str]:
    return stack_environment(
        StackPaths(tmp_path / "var"),
        rpc_urls=RPC,
        regulator_bin="190640343269",
        staff=STAFF,
        token_secret="s" * 48,
        public_base_url="http://127.0.0.1:8000",
    )


def test_the_service_loads_the_stack_settings_as_they_are(tmp_path, monkeypatch):
    env = environment(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    root = (tmp_path / "var").resolve()
    assert settings.environment == "dev"
    assert settings.chain_rpc_urls == RPC  # all five, in order (failover)
    assert settings.anchoring_enabled
    assert settings.database_url == f"sqlite:///{root / 'registry.sqlite3'}"
    assert settings.dev_pki_dir == root / "pki"
    assert settings.chain_addresses_file == root / "contracts.json"
    assert settings.registrar_keystore_file == root / "registrar.keystore.json"
    assert settings.registrar_password_file == root / "registrar.password"
    assert settings.platform_check_key_file == root / "platform-check.key"
    assert settings.platform_check_allow_private is True
    assert settings.platform_check_required  # dev still gates the head's signature on a check
    assert settings.regulator_bin == "190640343269"
    assert [(m.iin, m.role) for m in settings.staff] == [(s["iin"], s["role"]) for s in STAFF]
    assert settings.secret_bytes() == b"s" * 48


def test_paths_are_absolute_so_the_env_file_works_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = stack_environment(
        StackPaths(Path("var")),
        rpc_urls=RPC,
        regulator_bin="190640343269",
        staff=STAFF,
        token_secret="t" * 40,
        public_base_url="http://x",
    )
    for key in ("REGISTRY_DEV_PKI_DIR", "REGISTRY_CHAIN_ADDRESSES_FILE", "REGISTRY_REGISTRAR_KEYSTORE_FILE"):
        assert Path(env[key]).is_absolute() and Path(env[key]).is_relative_to(tmp_path.resolve())


def test_env_file_round_trips_through_a_shell_parser(tmp_path):
    env = environment(tmp_path)
    env["REGISTRY_EXTRA"] = 'it\'s "quoted" $HOME'
    text = render_env_file(env)
    assert text.startswith("#") and "DEVELOPMENT" in text.splitlines()[0]
    parsed = {}
    for line in text.splitlines()[1:]:
        key, _, value = line.partition("=")
        [parsed[key]] = shlex.split(value)
    assert parsed == env
    assert json.loads(parsed["REGISTRY_STAFF"]) == STAFF


def manifest(*sections: list[dict[str, str]]) -> dict[str, object]:
    return {"algorithms": {f"ALG{i}": {"staff": staff} for i, staff in enumerate(sections)}}


def test_staff_from_the_manifest_lists_every_algorithms_staff_once():
    rsa = [
        {"identity": "regulator_officer", "role": "officer", "iin": "111111111111"},
        {"identity": "regulator_head_auth", "role": "head", "iin": "222222222222"},
    ]
    gost = [
        {"identity": "regulator_officer", "role": "officer", "iin": "333333333333"},
        {"identity": "regulator_head_auth", "role": "head", "iin": "222222222222"},
    ]
    assert staff_from_pki(manifest(rsa, gost)) == [
        {"iin": "111111111111", "role": "officer"},
        {"iin": "222222222222", "role": "head"},
        {"iin": "333333333333", "role": "officer"},
    ]


@pytest.mark.parametrize("bad", [{}, {"algorithms": {"RSA": {"identities": {}}}}, {"algorithms": []}])
def test_a_manifest_without_staff_is_refused_with_a_hint(bad):
    with pytest.raises(StackError, match=r"staff|algorithms"):
        staff_from_pki(bad)


def test_summary_says_where_everything_is_and_never_prints_a_secret(tmp_path):
    from contracts.deploy import RegistryAddresses  # noqa: PLC0415
    from registry_api.dev_stack import PreparedStack, summary  # noqa: PLC0415

    env = environment(tmp_path)
    addresses = RegistryAddresses(
        chain_id=7210,
        permit_registry="0x" + "11" * 20,  # type: ignore[arg-type]
        issuer_registry="0x" + "22" * 20,  # type: ignore[arg-type]
        admin="0x" + "33" * 20,  # type: ignore[arg-type]
        registrars=("0x" + "44" * 20,),  # type: ignore[arg-type]
    )
    text = summary(
        PreparedStack(
            paths=StackPaths(tmp_path / "var"),
            environment=env,
            rpc_urls=tuple(RPC),
            addresses=addresses,
            registrar="0x" + "44" * 20,
            api_url="http://127.0.0.1:8000",
            pki_reused=True,
            logins={"officer login": tmp_path / "var/pki/rsa/regulator_officer.p12"},
        )
    )
    for needle in (
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/docs",
        "http://127.0.0.1:8000/verify/",
        *RPC,
        addresses.permit_registry,
        addresses.issuer_registry,
        "regulator_officer.p12",
        "(reused)",
        "DEVELOPMENT keys",
    ):
        assert needle in text, needle
    assert env["REGISTRY_TOKEN_SECRET"] not in text
