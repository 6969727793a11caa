"""deploy_registries on eth-tester: unlocked accounts, raw-signed local keys, zero and normal fees."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from contracts.artifacts import load_artifact
from contracts.deploy import RegistryAddresses, deploy_registries
from contracts.exceptions import DeploymentError, InvalidValueError

from .conftest import revert_reason

_VALID_ADDRESSES = {
    "chain_id": 1337,
    "permit_registry": "0x" + "11" * 20,
    "issuer_registry": "0x" + "22" * 20,
    "admin": "0x" + "33" * 20,
    "registrars": [],
}


def _chain(base_fee: int | None = None) -> Web3:
    # eth-tester refuses a base fee override, but hands the parameters to py-evm unchanged.
    params = (
        None if base_fee is None else {**PyEVMBackend.generate_genesis_params(), "base_fee_per_gas": base_fee}
    )
    return Web3(EthereumTesterProvider(EthereumTester(backend=PyEVMBackend(genesis_parameters=params))))


def _contracts(w3: Web3, addresses):
    permits = w3.eth.contract(address=addresses.permit_registry, abi=load_artifact("PermitRegistry").abi)
    issuers = w3.eth.contract(address=addresses.issuer_registry, abi=load_artifact("IssuerRegistry").abi)
    return permits, issuers


def test_deploy_with_unlocked_account_links_and_appoints():
    w3 = _chain()
    admin, r1, r2, outsider = list(w3.eth.accounts)[:4]
    addresses = deploy_registries(w3, admin=admin, registrars=[r1, r2])
    permits, issuers = _contracts(w3, addresses)
    assert addresses.admin == admin and addresses.registrars == (r1, r2)
    assert addresses.chain_id == w3.eth.chain_id
    assert permits.functions.admin().call() == admin
    assert permits.functions.issuer_registry().call() == addresses.issuer_registry
    assert issuers.functions.PERMIT_REGISTRY().call() == addresses.permit_registry
    assert [permits.functions.is_registrar(a).call() for a in (r1, r2, admin, outsider)] == [
        True,
        True,
        False,
        False,
    ]
    runtime = load_artifact("PermitRegistry").bytecode_runtime
    assert w3.eth.get_code(addresses.permit_registry).to_0x_hex() == runtime
    assert addresses.to_json()["permit_registry"] == addresses.permit_registry


def test_deploy_with_local_key_sends_raw_signed_transactions():
    """A node has no unlocked accounts: the deployer's key signs, the transaction goes in raw."""
    w3 = _chain()
    key = Account.create()
    w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": key.address, "value": Web3.to_wei(1, "ether")})
    registrar = Account.create()
    addresses = deploy_registries(w3, admin=key, registrars=[registrar])
    permits, _ = _contracts(w3, addresses)
    assert permits.functions.admin().call() == key.address
    assert permits.functions.is_registrar(registrar.address).call()
    assert w3.eth.get_transaction_count(key.address) == 4  # two deployments, link, one registrar


def test_zero_gas_price_on_a_zero_base_fee_chain():
    """A permissioned chain charges nothing: an unfunded key deploys with gas price 0."""
    w3 = _chain(base_fee=0)
    key = Account.create()
    assert w3.eth.get_balance(key.address) == 0
    addresses = deploy_registries(w3, admin=key, registrars=[key], gas_price=0)
    permits, _ = _contracts(w3, addresses)
    assert permits.functions.is_registrar(key.address).call()
    assert w3.eth.get_balance(key.address) == 0


def test_default_fee_fields_on_a_chain_with_a_base_fee():
    w3 = _chain()
    assert w3.eth.get_block("latest")["baseFeePerGas"] > 0
    admin = w3.eth.accounts[0]
    before = w3.eth.get_balance(admin)
    deploy_registries(w3, admin=admin, registrars=[])
    assert w3.eth.get_balance(admin) < before  # paid real fees


def test_link_is_once_only_and_checked():
    w3 = _chain()
    admin = w3.eth.accounts[0]
    first = deploy_registries(w3, admin=admin, registrars=[])
    second = deploy_registries(w3, admin=admin, registrars=[])
    permits, _ = _contracts(w3, first)
    with revert_reason("issuer registry already linked"):
        permits.functions.link_issuer_registry(second.issuer_registry).transact({"from": admin})
    unlinked_tx = (
        w3.eth.contract(
            abi=load_artifact("PermitRegistry").abi, bytecode=load_artifact("PermitRegistry").bytecode
        )
        .constructor()
        .transact({"from": admin})
    )
    unlinked = w3.eth.contract(
        address=w3.eth.wait_for_transaction_receipt(unlinked_tx)["contractAddress"],
        abi=load_artifact("PermitRegistry").abi,
    )
    with revert_reason("issuer registry not bound to this registry"):
        unlinked.functions.link_issuer_registry(first.issuer_registry).transact({"from": admin})
    with revert_reason("issuer registry is not a contract"):
        unlinked.functions.link_issuer_registry(list(w3.eth.accounts)[5]).transact({"from": admin})
    with revert_reason("not admin"):
        unlinked.functions.link_issuer_registry(first.issuer_registry).transact(
            {"from": list(w3.eth.accounts)[1]}
        )
    assert unlinked.functions.issuer_registry().call() == "0x" + "00" * 20


def test_bad_input_is_a_deployment_error():
    w3 = _chain()
    admin, registrar = list(w3.eth.accounts)[:2]
    with pytest.raises(DeploymentError, match="registrar is not an address"):
        deploy_registries(w3, admin=admin, registrars=["0x1234"])
    with pytest.raises(DeploymentError, match="duplicate"):
        deploy_registries(w3, admin=admin, registrars=[registrar, registrar])
    with pytest.raises(DeploymentError, match="account is not an address"):
        deploy_registries(w3, admin="nobody", registrars=[])
    with pytest.raises(DeploymentError, match="gas price must not be negative"):
        deploy_registries(w3, admin=admin, registrars=[], gas_price=-1)


def test_unfunded_key_fails_with_a_clear_error():
    w3 = _chain()
    with pytest.raises(DeploymentError, match="deploy PermitRegistry"):
        deploy_registries(w3, admin=Account.create(), registrars=[])


def test_issuer_registry_needs_a_permit_registry():
    w3 = _chain()
    artifact = load_artifact("IssuerRegistry")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    with revert_reason("zero permit registry"):
        factory.constructor("0x" + "00" * 20).transact({"from": next(iter(w3.eth.accounts))})


def test_addresses_round_trip_through_json():
    w3 = _chain()
    admin, registrar = list(w3.eth.accounts)[:2]
    addresses = deploy_registries(w3, admin=admin, registrars=[registrar])
    text = json.dumps(addresses.to_json())
    assert RegistryAddresses.from_json(json.loads(text)) == addresses
    lower = {**addresses.to_json(), "admin": addresses.admin.lower()}
    assert RegistryAddresses.from_json(lower).admin == addresses.admin


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"chain_id": 1}, "missing 'registrars'"),
        ({**_VALID_ADDRESSES, "chain_id": "1"}, "chain_id must be a positive integer"),
        ({**_VALID_ADDRESSES, "chain_id": True}, "chain_id must be a positive integer"),
        ({**_VALID_ADDRESSES, "registrars": "0x"}, "registrars must be a list"),
        ({**_VALID_ADDRESSES, "permit_registry": "0x12"}, "permit_registry is not an address"),
        ({**_VALID_ADDRESSES, "registrars": ["nope"]}, "registrar is not an address"),
    ],
)
def test_addresses_from_bad_json_are_refused(data, message):
    with pytest.raises(InvalidValueError, match=message):
        RegistryAddresses.from_json(data)


def test_deployment_events_record_the_admin_and_the_link():
    w3 = _chain()
    admin = next(iter(w3.eth.accounts))
    addresses = deploy_registries(w3, admin=admin, registrars=[])
    permits, _ = _contracts(w3, addresses)
    (created,) = permits.events.AdminTransferred.get_logs(from_block=0)
    assert (created["args"]["previous_admin"], created["args"]["admin"]) == ("0x" + "00" * 20, admin)
    (linked,) = permits.events.IssuerRegistryLinked.get_logs(from_block=0)
    assert (linked["args"]["issuer_registry"], linked["args"]["admin"]) == (addresses.issuer_registry, admin)
