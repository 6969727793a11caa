"""Known answers from the published standards and from the real NCA RK test PKI."""

from pathlib import Path

from asn1crypto import x509
from gostcrypto import gosthash, gostsignature
from hypothesis import given, settings
from hypothesis import strategies as st

from kz_eds.certificates import public_key_of
from kz_eds.gost import (
    GostPrivateKey,
    GostPublicKey,
    bit_string_bytes,
    decode_gost_public_key,
    encode_public_key_info,
    public_key_info_parts,
)
from kz_eds.streebog import streebog512

DATA = Path(__file__).parent / "data"

# GOST R 34.11-2012 appendix A, examples M1 and M2 (hash outputs in emitted byte order; the standard
# prints them as little-endian numbers, i.e. reversed).
M1 = b"012345678901234567890123456789012345678901234567890123456789012"
M1_512 = bytes.fromhex(
    "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
    "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"
)[::-1]
M2 = "Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы".encode("cp1251")
M2_512 = bytes.fromhex(
    "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
    "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"
)[::-1]


def test_streebog512_m1_m2():
    assert streebog512(M1) == M1_512
    assert streebog512(M2) == M2_512


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_lane_streebog_matches_gostcrypto(data):
    assert streebog512(data) == bytes(gosthash.new("streebog512", data=bytearray(data)).digest())


# GOST R 34.10-2012 appendix A.2: the 512-bit example on its test curve.
A2_CURVE = {
    "p": int(
        "4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15d"
        "f1d852741af4704a0458047e80e4546d35b8336fac224dd81664bbf528be6373",
        16,
    ),
    "a": 7,
    "b": int(
        "1cff0806a31116da29d8cfa54e57eb748bc5f377e49400fdd788b649eca1ac43"
        "61834013b2ad7322480a89ca58e0cf74bc9e540c2add6897fad0a3084f302adc",
        16,
    ),
    "m": int(
        "4531acd1fe0023c7550d267b6b2fee80922b14b2ffb90f04d4eb7c09b5d2d15d"
        "a82f2d7ecb1dbac719905c5eecc423f1d86e25edbe23c595d644aaf187e6e6df",
        16,
    ),
    "x": int(
        "24d19cc64572ee30f396bf6ebbfd7a6c5213b3b3d7057cc825f91093a68cd762"
        "fd60611262cd838dc6b60aa7eee804e28bc849977fac33b4b530f1b120248a9a",
        16,
    ),
    "y": int(
        "2bb312a43bd2ce6e0d020613c857acddcfbf061e91e5f2c3f32447c259f39b2c"
        "83ab156d77f1496bf7eb3351e1ee4e43dc1a18b91b24640b6dbb92cb1add371e",
        16,
    ),
}
A2_CURVE["q"] = A2_CURVE["m"]
A2_D = bytes.fromhex(
    "0ba6048aadae241ba40936d47756d7c93091a0e8514669700ee7508e508b1020"
    "72e8123b2200a0563322dad2827e2714a2636b7bfd18aadfc62967821fa18dd4"
)
A2_E = bytes.fromhex(
    "3754f3cfacc9e0615c4f4a7c4d8dab531b09b6f9c170c533a71d147035b0c591"
    "7184ee536593f4414339976c647c5d5a407adedb1d560c4fc6777d2972075b8c"
)
A2_K = bytes.fromhex(
    "0359e7f4b1410feacc570456c6801496946312120b39d019d455986e364f3658"
    "86748ed7a44b3e794434006011842286212273a6d14cf70ea3af71bb1ae679f1"
)
A2_QX = (
    "115dc5bc96760c7b48598d8ab9e740d4c4a85a65be33c1815b5c320c854621dd"
    "5a515856d13314af69bc5b924c8b4ddff75c45415c1d9dd9dd33612cd530efe1"
)
A2_QY = (
    "37c7c90cd40b0f5621dc3ac1b751cfa0e2634fa0503b3d52639f5d7fb72afd61"
    "ea199441d943ffe7f0c70a2759a3cdb84c114e1f9339fdf27f35eca93677beec"
)
A2_R = (
    "2f86fa60a081091a23dd795e1e3c689ee512a3c82ee0dcc2643c78eea8fcacd3"
    "5492558486b20f1c9ec197c90699850260c93bcbcd9c5c3317e19344e173ae36"
)
A2_S = (
    "1081b394696ffe8e6585e7a9362d26b6325f56778aadbc081c0bfbe933d52ff5"
    "823ce288e8c4f362526080df7f70ce406a6eeb1f56919cb92a9853bde73e5b4a"
)


def test_gost_34_10_2012_appendix_a2_512_bit_example():
    engine = gostsignature.new(gostsignature.MODE_512, A2_CURVE)
    public = bytes(engine.public_key_generate(bytearray(A2_D)))
    assert public.hex() == A2_QX + A2_QY
    signature = bytes(engine.sign(bytearray(A2_D), bytearray(A2_E), bytearray(A2_K)))
    assert signature.hex() == A2_R + A2_S
    assert engine.verify(bytearray(public), bytearray(A2_E), bytearray(signature))
    tampered = bytearray(signature)
    tampered[-1] ^= 1
    assert not engine.verify(bytearray(public), bytearray(A2_E), tampered)


def test_real_nca_test_ca_signature_verifies_in_kazakh_byte_order():
    ca = x509.Certificate.load((DATA / "nca_test_gost_2022_issuing.cer").read_bytes())
    user = x509.Certificate.load((DATA / "nca_test_gost2015_individual.cer").read_bytes())
    key = public_key_of(ca)
    assert isinstance(key, GostPublicKey)
    tbs = user["tbs_certificate"].dump()
    signature = bit_string_bytes(user["signature_value"])
    assert key.verify(tbs, signature)
    assert not key.verify(tbs + b"\x00", signature)
    # the same signature in gostcrypto's own (big-endian) order must NOT verify: the reversal is real
    assert not key.verify(tbs, signature[:64][::-1] + signature[64:][::-1])


def test_our_public_key_encoding_matches_the_nca_layout():
    ca = x509.Certificate.load((DATA / "nca_test_gost_2022_issuing.cer").read_bytes())
    nca_spki = ca["tbs_certificate"]["subject_public_key_info"].dump()
    _, raw = public_key_info_parts(nca_spki)
    key = decode_gost_public_key(raw)
    assert encode_public_key_info(key) == nca_spki


def test_sign_verify_round_trip_and_key_bytes():
    key = GostPrivateKey.generate()
    assert GostPrivateKey.from_kz_bytes(key.to_kz_bytes()) == key
    assert "secret" in repr(key)
    public = key.public_key()
    assert GostPublicKey.from_kz_bytes(public.to_kz_bytes()) == public
    signature = key.sign(b"document")
    assert public.verify(b"document", signature)
    assert not public.verify(b"documenT", signature)
    assert not public.verify(b"document", signature[:-1])
    assert not public.verify(b"document", b"\x00" * 128)
