import stat

import pytest

from kz_eds import GostFileSigner, KeyLoadError, RsaFileSigner, load_signer
from kz_eds.key_containers import read_key_files, read_pem

from .conftest import GOST, RSA


@pytest.mark.parametrize(("algorithm", "kind"), [(RSA, RsaFileSigner), (GOST, GostFileSigner)])
def test_dev_p12_and_pem_hold_the_same_key(pki, algorithm, kind):
    ident = pki.identity(algorithm, "regulator_head")
    from_p12 = read_key_files(pki.path(ident["p12"]), None, pki.password)
    from_pem = read_key_files(pki.path(ident["key"]), pki.path(ident["certificate"]), None)
    assert from_p12.certificate.dump() == from_pem.certificate.dump()
    assert [c.dump() for c in from_p12.chain] == [c.dump() for c in pki.certificates(algorithm, "ca")]
    signer = load_signer(pki.path(ident["p12"]), None, pki.password)
    assert isinstance(signer, kind)
    assert signer.algorithm == algorithm
    assert "secret" not in repr(signer) and "serial" in repr(signer)
    for path in (ident["p12"], ident["key"]):
        assert stat.S_IMODE(pki.path(path).stat().st_mode) == 0o600


def test_signer_kind_must_match_the_key(pki):
    ident = pki.identity(RSA, "regulator_head")
    with pytest.raises(KeyLoadError, match="GostFileSigner needs"):
        GostFileSigner.from_pkcs12(pki.path(ident["p12"]), pki.password)


def test_bad_containers_and_files(pki, tmp_path):
    ident = pki.identity(RSA, "regulator_head")
    with pytest.raises(KeyLoadError, match="wrong password"):
        read_key_files(pki.path(ident["p12"]), None, "nope")
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"\x30\x03\x02\x01\x03")
    with pytest.raises(KeyLoadError, match="not a PKCS#12"):
        read_key_files(junk, None, "x")
    with pytest.raises(KeyLoadError, match="cannot read"):
        read_key_files(tmp_path / "missing.p12", None, "x")
    other_cert = pki.path(pki.identity(RSA, "legal_employee")["certificate"]).read_bytes()
    with pytest.raises(KeyLoadError, match="no certificate"):
        read_pem(pki.path(ident["key"]).read_bytes(), other_cert)
    with pytest.raises(KeyLoadError, match="needs its certificate"):
        read_key_files(pki.path(ident["key"]), None, None)
