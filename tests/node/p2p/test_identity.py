from __future__ import annotations

import stat

import pytest

from node.p2p.exceptions import IdentityError
from node.p2p.identity import NodeIdentity, load_or_create_identity, validate_node_id, verify_signature


def test_created_key_file_is_private_and_reloads_to_the_same_id(tmp_path):
    path = tmp_path / "node.key"
    created = load_or_create_identity(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_identity(path).node_id == created.node_id
    assert len(created.node_id) == 64


def test_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "node.key"
    load_or_create_identity(path)
    path.chmod(0o644)
    with pytest.raises(IdentityError, match="chmod 600"):
        load_or_create_identity(path)


@pytest.mark.parametrize("content", ["not hex\n", "00" * 16 + "\n"])
def test_malformed_key_file_is_refused(tmp_path, content):
    path = tmp_path / "node.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(IdentityError):
        load_or_create_identity(path)


def test_repr_never_shows_the_secret():
    identity = NodeIdentity.generate()
    assert identity.seed_hex() not in repr(identity)
    assert identity.node_id in repr(identity)


def test_signature_binds_key_and_message():
    identity = NodeIdentity.generate()
    signature = identity.sign(b"transcript")
    assert verify_signature(identity.public_key, b"transcript", signature)
    assert not verify_signature(identity.public_key, b"transcripT", signature)
    assert not verify_signature(NodeIdentity.generate().public_key, b"transcript", signature)


def test_node_id_validation():
    identity = NodeIdentity.generate()
    assert validate_node_id("0x" + identity.node_id.upper()) == identity.node_id
    with pytest.raises(IdentityError):
        validate_node_id("abcd")
