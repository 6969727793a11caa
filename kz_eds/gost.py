"""GOST R 34.10-2015 (= 34.10-2012) 512-bit signatures and Streebog-512, in the Kazakh byte order.

``gostcrypto`` does the arithmetic; this module owns the *encoding*. The NCA RK (KalkanCrypt)
stores every number little-endian: the private key, each half of the public key (X, Y), each half
of the signature (r, s), and the Streebog digest is read as a little-endian integer. ``gostcrypto``
takes all of them big-endian. This was checked against a real NCA test certificate ("ҰЛТТЫҚ
КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (GOST) TEST 2022" and a user certificate it issued, see tests/kz_eds/data):
the CA signature verifies only with all four reversals, and the user's private key reproduces the
certificate's public key only with the key halves reversed.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import core
from gostcrypto import gostsignature

from kz_eds import oids
from kz_eds.exceptions import SigningError
from kz_eds.streebog import streebog512

SIZE: Final = 64
_CURVE_NAME: Final = "id-tc26-gost-3410-12-512-paramSetA"
KZ_PARAMSET_512_A: Final = "1.2.398.3.10.1.1.2.2.1"


def _modular_inverse(value: int, modulus: int) -> int:
    return pow(value, -1, modulus)


@functools.cache
def _engine() -> Any:
    """One curve object (building it checks the parameters, which costs ~20 ms).

    gostcrypto inverts field elements with a recursive Python extended Euclid, which is most of a
    signature's cost; Python's built-in ``pow(x, -1, m)`` computes the same inverse about 10x faster.
    """
    engine = gostsignature.new(gostsignature.MODE_512, gostsignature.CURVES_R_1323565_1_024_2019[_CURVE_NAME])
    engine._invert = _modular_inverse
    return engine


def _order() -> int:
    q: int = _engine()._q
    return q


def _reverse_halves(value: bytes) -> bytearray:
    return bytearray(value[:SIZE][::-1] + value[SIZE:][::-1])


@dataclass(frozen=True, slots=True)
class GostPublicKey:
    """A point on the TC26 512 paramSetA curve."""

    x: int
    y: int

    @classmethod
    def from_kz_bytes(cls, value: bytes) -> GostPublicKey:
        if len(value) != 2 * SIZE:
            raise ValueError(f"a GOST 512 public key has {2 * SIZE} bytes, got {len(value)}")
        return cls(int.from_bytes(value[:SIZE], "little"), int.from_bytes(value[SIZE:], "little"))

    def to_kz_bytes(self) -> bytes:
        return self.x.to_bytes(SIZE, "little") + self.y.to_bytes(SIZE, "little")

    def verify_digest(self, digest: bytes, signature: bytes) -> bool:
        """Check a Kazakh-encoded signature (r‖s, each little-endian) over a Streebog-512 digest."""
        if len(digest) != SIZE or len(signature) != 2 * SIZE:
            return False
        public = bytearray(self.x.to_bytes(SIZE, "big") + self.y.to_bytes(SIZE, "big"))
        try:
            return bool(_engine().verify(public, bytearray(digest[::-1]), _reverse_halves(signature)))
        except (gostsignature.GOSTSignatureError, ZeroDivisionError, ValueError):
            return False

    def verify(self, data: bytes, signature: bytes) -> bool:
        return self.verify_digest(streebog512(data), signature)


@dataclass(frozen=True, slots=True, repr=False)
class GostPrivateKey:
    """A GOST 512 private scalar; ``repr`` never shows it (keys must not reach logs)."""

    scalar: int

    def __repr__(self) -> str:
        return "GostPrivateKey(<secret>)"

    @classmethod
    def generate(cls) -> GostPrivateKey:
        return cls(secrets.randbelow(_order() - 1) + 1)

    @classmethod
    def from_kz_bytes(cls, value: bytes) -> GostPrivateKey:
        if len(value) != SIZE:
            raise ValueError(f"a GOST 512 private key has {SIZE} bytes, got {len(value)}")
        scalar = int.from_bytes(value, "little")
        if not 0 < scalar < _order():
            raise ValueError("GOST private key out of range")
        return cls(scalar)

    def to_kz_bytes(self) -> bytes:
        return self.scalar.to_bytes(SIZE, "little")

    def public_key(self) -> GostPublicKey:
        raw = bytes(_engine().public_key_generate(bytearray(self.scalar.to_bytes(SIZE, "big"))))
        return GostPublicKey(int.from_bytes(raw[:SIZE], "big"), int.from_bytes(raw[SIZE:], "big"))

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a Streebog-512 digest; the result is r‖s, each little-endian (Kazakh order)."""
        if len(digest) != SIZE:
            raise SigningError("GOST 512 signs a 64-byte Streebog-512 digest")
        k = bytearray((secrets.randbelow(_order() - 1) + 1).to_bytes(SIZE, "big"))
        raw = bytes(_engine().sign(bytearray(self.scalar.to_bytes(SIZE, "big")), bytearray(digest[::-1]), k))
        return bytes(_reverse_halves(raw))

    def sign(self, data: bytes) -> bytes:
        return self.sign_digest(streebog512(data))


# --- ASN.1 shapes of the Kazakh profile -------------------------------------------------------


class _GostKeyParameters(core.Sequence):  # type: ignore[misc]
    _fields = [("public_key_param_set", core.ObjectIdentifier), ("digest_param_set", core.ObjectIdentifier)]  # noqa: RUF012


class _GostAlgorithm(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", _GostKeyParameters)]  # noqa: RUF012


class RawPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    """SubjectPublicKeyInfo without asn1crypto's key-type dispatch (which rejects the Kazakh OIDs)."""

    _fields = [("algorithm", core.Any), ("public_key", core.OctetBitString)]  # noqa: RUF012


class RawAlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]  # noqa: RUF012


def gost_algorithm_identifier() -> _GostAlgorithm:
    return _GostAlgorithm(
        {
            "algorithm": oids.KZ_GOST2015_512_KEY,
            "parameters": {
                "public_key_param_set": KZ_PARAMSET_512_A,
                "digest_param_set": oids.KZ_STREEBOG_512,
            },
        }
    )


def encode_public_key_info(public: GostPublicKey) -> bytes:
    """DER SubjectPublicKeyInfo as the NCA writes it: the 128 key bytes wrapped in an OCTET STRING."""
    wrapped = core.OctetString(public.to_kz_bytes()).dump()
    algorithm = core.Any.load(gost_algorithm_identifier().dump())
    der: bytes = RawPublicKeyInfo({"algorithm": algorithm, "public_key": wrapped}).dump()
    return der


def public_key_info_parts(spki_der: bytes) -> tuple[str, bytes]:
    """(algorithm OID, subjectPublicKey bytes) of any SubjectPublicKeyInfo."""
    info = RawPublicKeyInfo.load(spki_der)
    algorithm = RawAlgorithmIdentifier.load(info["algorithm"].dump())
    return algorithm["algorithm"].dotted, bytes(info["public_key"].native)


def bit_string_bytes(value: core.BitString | core.OctetBitString) -> bytes:
    """The octets of a BIT STRING with no unused bits (asn1crypto's ``native`` gives a bit tuple)."""
    contents = bytes(value.contents or b"")
    if not contents or contents[0] != 0:
        raise ValueError("BIT STRING with unused bits")
    return contents[1:]


def decode_gost_public_key(subject_public_key: bytes) -> GostPublicKey:
    """Read the key from subjectPublicKey: an OCTET STRING of 128 bytes (or the bare 128 bytes)."""
    if len(subject_public_key) == 2 * SIZE:
        return GostPublicKey.from_kz_bytes(subject_public_key)
    inner = core.OctetString.load(subject_public_key).native
    return GostPublicKey.from_kz_bytes(bytes(inner))
