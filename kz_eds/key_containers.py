"""Private key containers: PKCS#12 (as NCA key kits and OpenSSL write them) and PEM PKCS#8.

``cryptography`` opens RSA PKCS#12 files but not GOST ones, and NCA containers use legacy PKCS#12
ciphers (the key under pbeWithSHAAnd3-KeyTripleDES, the certificate under pbeWithSHAAnd40BitRC2),
so the container format is read here with asn1crypto and the ciphers of ``cryptography`` (RC2-40
through pycryptodome, which ``cryptography`` refuses for its 40-bit key). Containers we write for
GOST keys use PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and an HMAC-SHA256 integrity MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from asn1crypto import algos, core, keys, pkcs12, x509
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.decrepit.ciphers import algorithms as legacy_algorithms
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kz_eds import oids
from kz_eds.certificates import load_certificate, public_key_of
from kz_eds.exceptions import KeyLoadError
from kz_eds.gost import GostPrivateKey, RawAlgorithmIdentifier, gost_algorithm_identifier

PrivateKey = rsa.RSAPrivateKey | GostPrivateKey


class RawPrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    """PKCS#8 without asn1crypto's key-type dispatch (which raises on the NCA GOST key OID)."""

    _fields = [  # noqa: RUF012
        ("version", core.Integer),
        ("private_key_algorithm", RawAlgorithmIdentifier),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


MAX_CONTAINER_BYTES: Final = 1024 * 1024
_PBKDF2_ITERATIONS: Final = 200_000
_MAC_ITERATIONS: Final = 2048
_PEM_PRIVATE_KEY: Final = "PRIVATE KEY"


@dataclass(frozen=True, slots=True, repr=False)
class KeyMaterial:
    """A private key with its certificate and any chain certificates found beside it."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def __repr__(self) -> str:
        return f"KeyMaterial(<secret>, certificate serial {self.certificate.serial_number:x})"


# --- PKCS#12 key derivation (RFC 7292 appendix B) ---------------------------------------------


def _pkcs12_kdf(  # noqa: PLR0917 - the RFC's own parameter list
    hash_name: str, password: str, salt: bytes, iterations: int, purpose: int, size: int
) -> bytes:
    u = hashlib.new(hash_name).digest_size
    v = 64
    pw = (password + "\0").encode("utf-16-be") if password else b""

    def stretch(value: bytes) -> bytes:
        if not value:
            return b""
        length = v * ((len(value) + v - 1) // v)
        return (value * (length // len(value) + 1))[:length]

    i_block = bytearray(stretch(salt) + stretch(pw))
    d_block = bytes([purpose]) * v
    out = b""
    while len(out) < size:
        a = d_block + bytes(i_block)
        for _ in range(iterations):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for j in range(0, len(i_block), v):
            chunk = (int.from_bytes(i_block[j : j + v], "big") + b + 1) % (1 << (8 * v))
            i_block[j : j + v] = chunk.to_bytes(v, "big")
    return out[:size]


def _unpad(data: bytes, block: int) -> bytes:
    unpadder = sym_padding.PKCS7(block * 8).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError as exc:
        raise KeyLoadError("wrong password or damaged key container") from exc


def _decrypt(algorithm: algos.EncryptionAlgorithm, password: str, data: bytes) -> bytes:
    name = algorithm["algorithm"].native
    if name == "pbes2":
        if algorithm.kdf != "pbkdf2":
            raise KeyLoadError(f"unsupported PBES2 key derivation {algorithm.kdf}")
        hmac_name = algorithm.kdf_hmac
        key = hashlib.pbkdf2_hmac(
            hmac_name,
            password.encode("utf-8"),
            algorithm.kdf_salt,
            algorithm.kdf_iterations,
            algorithm.key_length,
        )
        cipher_name = algorithm.encryption_cipher
        iv = algorithm.encryption_iv
        if cipher_name == "aes":
            decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
            return _unpad(decryptor.update(data) + decryptor.finalize(), 16)
        if cipher_name == "tripledes":
            decryptor = Cipher(legacy_algorithms.TripleDES(key), modes.CBC(iv)).decryptor()
            return _unpad(decryptor.update(data) + decryptor.finalize(), 8)
        raise KeyLoadError(f"unsupported PBES2 cipher {cipher_name}")
    params = algorithm["parameters"]
    salt, iterations = bytes(params["salt"].native), int(params["iterations"].native)
    if name == "pkcs12_sha1_tripledes_3key":
        key = _pkcs12_kdf("sha1", password, salt, iterations, 1, 24)
        iv = _pkcs12_kdf("sha1", password, salt, iterations, 2, 8)
        decryptor = Cipher(legacy_algorithms.TripleDES(key), modes.CBC(iv)).decryptor()
        return _unpad(decryptor.update(data) + decryptor.finalize(), 8)
    if name in ("pkcs12_sha1_rc2_40", "pkcs12_sha1_rc2_128"):
        size = 5 if name.endswith("_40") else 16
        key = _pkcs12_kdf("sha1", password, salt, iterations, 1, size)
        iv = _pkcs12_kdf("sha1", password, salt, iterations, 2, 8)
        from Crypto.Cipher import ARC2  # noqa: PLC0415 - only NCA's legacy RC2 needs pycryptodome

        rc2 = ARC2.new(key, ARC2.MODE_CBC, iv=iv, effective_keylen=size * 8)  # type: ignore[call-arg]  # noqa: S304
        return _unpad(rc2.decrypt(data), 8)
    raise KeyLoadError(f"unsupported key container cipher {name}")


def _check_mac(pfx: pkcs12.Pfx, password: str) -> None:
    mac_data = pfx["mac_data"]
    if mac_data.native is None:
        return
    hash_name = mac_data["mac"]["digest_algorithm"]["algorithm"].native
    if hash_name not in ("sha1", "sha256", "sha512"):
        raise KeyLoadError(f"unsupported container MAC {hash_name}")
    salt = bytes(mac_data["mac_salt"].native)
    iterations = int(mac_data["iterations"].native)
    size = hashlib.new(hash_name).digest_size
    key = _pkcs12_kdf(hash_name, password, salt, iterations, 3, size)
    content = bytes(pfx["auth_safe"]["content"].native)
    expected = hmac.new(key, content, hash_name).digest()
    if not hmac.compare_digest(expected, bytes(mac_data["mac"]["digest"].native)):
        raise KeyLoadError("wrong password for the key container (integrity check failed)")


def _private_key_from_pkcs8(der: bytes) -> PrivateKey:
    try:
        info = RawPrivateKeyInfo.load(der)
        algorithm = info["private_key_algorithm"]["algorithm"].dotted
    except (ValueError, TypeError) as exc:
        raise KeyLoadError("private key is not PKCS#8") from exc
    if algorithm == oids.RSA_ENCRYPTION:
        key = serialization.load_der_private_key(der, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyLoadError("not an RSA private key")
        return key
    if algorithm in oids.GOST_KEY_OIDS:
        raw = bytes(info["private_key"].native)
        try:
            value = raw if len(raw) == 64 else bytes(core.OctetString.load(raw).native)
            return GostPrivateKey.from_kz_bytes(value)
        except (ValueError, TypeError) as exc:
            raise KeyLoadError(f"GOST private key is malformed: {exc}") from exc
    raise KeyLoadError(f"unsupported private key algorithm {algorithm}")


def _matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    try:
        public = public_key_of(cert)
    except ValueError:
        return False
    if isinstance(key, GostPrivateKey):
        return key.public_key() == public
    return (
        isinstance(public, rsa.RSAPublicKey) and public.public_numbers() == key.public_key().public_numbers()
    )


def read_pkcs12(data: bytes, password: str) -> KeyMaterial:
    """Open a PKCS#12 container (NCA/KalkanCrypt, OpenSSL or ours) and pair its key with its certificate."""
    if len(data) > MAX_CONTAINER_BYTES:
        raise KeyLoadError("key container is larger than 1 MiB")
    try:
        pfx = pkcs12.Pfx.load(data)
        auth_safe = pkcs12.AuthenticatedSafe.load(bytes(pfx["auth_safe"]["content"].native))
    except (ValueError, TypeError, KeyError) as exc:
        raise KeyLoadError("not a PKCS#12 key container") from exc
    _check_mac(pfx, password)
    private_keys: list[PrivateKey] = []
    certificates: list[x509.Certificate] = []
    try:
        for content_info in auth_safe:
            kind = content_info["content_type"].native
            if kind == "data":
                safe = bytes(content_info["content"].native)
            elif kind == "encrypted_data":
                enc = content_info["content"]["encrypted_content_info"]
                safe = _decrypt(
                    enc["content_encryption_algorithm"], password, bytes(enc["encrypted_content"].native)
                )
            else:
                continue
            for bag in pkcs12.SafeContents.load(safe):
                bag_id = bag["bag_id"].native
                if bag_id == "pkcs8_shrouded_key_bag":
                    value = bag["bag_value"]
                    der = _decrypt(
                        value["encryption_algorithm"], password, bytes(value["encrypted_data"].native)
                    )
                    private_keys.append(_private_key_from_pkcs8(der))
                elif bag_id == "key_bag":
                    private_keys.append(_private_key_from_pkcs8(bag["bag_value"].dump()))
                elif bag_id == "cert_bag":
                    certificates.append(load_certificate(bytes(bag["bag_value"]["cert_value"].contents)))
    except KeyLoadError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise KeyLoadError(f"damaged key container: {exc}") from exc
    if not private_keys:
        raise KeyLoadError("the key container holds no private key")
    key = private_keys[0]
    for cert in certificates:
        if _matches(key, cert):
            chain = tuple(c for c in certificates if c is not cert)
            return KeyMaterial(key, cert, chain)
    raise KeyLoadError("the key container holds no certificate for its private key")


def read_pem(key_pem: bytes, certificate_pem: bytes, password: str | None = None) -> KeyMaterial:
    """A PKCS#8 private key (PEM, optionally encrypted for RSA) and its certificate chain (PEM)."""
    from asn1crypto import pem  # noqa: PLC0415

    try:
        kind, _headers, der = pem.unarmor(key_pem)
    except ValueError as exc:
        raise KeyLoadError("key file is not PEM") from exc
    if kind == "ENCRYPTED PRIVATE KEY":
        if password is None:
            raise KeyLoadError("the key file is encrypted: a password is needed")
        info = keys.EncryptedPrivateKeyInfo.load(der)
        der = _decrypt(info["encryption_algorithm"], password, bytes(info["encrypted_data"].native))
    elif kind == "RSA PRIVATE KEY":
        loaded = serialization.load_pem_private_key(key_pem, password=password.encode() if password else None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise KeyLoadError("not an RSA private key")
        der = loaded.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    elif kind != _PEM_PRIVATE_KEY:
        raise KeyLoadError(f"unsupported key file type {kind!r}")
    key = _private_key_from_pkcs8(der)
    certificates = [load_certificate(block) for _k, _h, block in pem.unarmor(certificate_pem, multiple=True)]
    for cert in certificates:
        if _matches(key, cert):
            return KeyMaterial(key, cert, tuple(c for c in certificates if c is not cert))
    raise KeyLoadError("no certificate in the certificate file matches the private key")


def read_key_files(key_path: Path, certificate_path: Path | None, password: str | None) -> KeyMaterial:
    """Open a ``.p12``/``.pfx`` container, or a PEM key with its PEM certificate."""
    try:
        data = key_path.read_bytes()
        if key_path.suffix.lower() in (".p12", ".pfx") or not data.lstrip().startswith(b"-----"):
            return read_pkcs12(data, password or "")
        if certificate_path is None:
            raise KeyLoadError("a PEM key needs its certificate file")
        return read_pem(data, certificate_path.read_bytes(), password)
    except OSError as exc:
        raise KeyLoadError(f"cannot read {exc.filename}: {exc.strerror}") from exc


# --- writing ----------------------------------------------------------------------------------


def pkcs8_der(key: PrivateKey) -> bytes:
    """The unencrypted PKCS#8 encoding (GOST: NCA layout, an OCTET STRING of 64 little-endian bytes)."""
    if isinstance(key, GostPrivateKey):
        inner = core.OctetString(key.to_kz_bytes()).dump()
        info = RawPrivateKeyInfo(
            {
                "version": 0,
                "private_key_algorithm": RawAlgorithmIdentifier.load(gost_algorithm_identifier().dump()),
                "private_key": inner,
            }
        )
        der: bytes = info.dump()
        return der
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_private_key(key: PrivateKey) -> bytes:
    from asn1crypto import pem  # noqa: PLC0415

    armored: bytes = pem.armor(_PEM_PRIVATE_KEY, pkcs8_der(key))
    return armored


def _encrypt_pbes2(password: str, data: bytes) -> tuple[algos.EncryptionAlgorithm, bytes]:
    salt, iv = os.urandom(16), os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, _PBKDF2_ITERATIONS, 32)
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    algorithm = algos.EncryptionAlgorithm(
        {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {
                        "salt": algos.Pbkdf2Salt(name="specified", value=salt),
                        "iteration_count": _PBKDF2_ITERATIONS,
                        "prf": {"algorithm": "sha256"},
                    },
                },
                "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
            },
        }
    )
    return algorithm, encryptor.update(padded) + encryptor.finalize()


def write_pkcs12(material: KeyMaterial, password: str) -> bytes:
    """A PKCS#12 container for any key we support (RSA through cryptography, GOST written here)."""
    if isinstance(material.key, rsa.RSAPrivateKey):
        from cryptography import x509 as crypto_x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.serialization import pkcs12 as crypto_pkcs12  # noqa: PLC0415

        cert = crypto_x509.load_der_x509_certificate(material.certificate.dump())
        cas = [crypto_x509.load_der_x509_certificate(c.dump()) for c in material.chain]
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(crypto_pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password.encode("utf-8"))
        )
        return serialization.pkcs12.serialize_key_and_certificates(
            b"key", material.key, cert, cas, encryption
        )
    algorithm, encrypted = _encrypt_pbes2(password, pkcs8_der(material.key))
    local_key_id = hashlib.sha1(material.certificate.dump()).digest()  # noqa: S324 - an identifier, not security
    attributes = [{"type": "local_key_id", "values": [local_key_id]}]
    bags = [
        pkcs12.SafeBag(
            {
                "bag_id": "pkcs8_shrouded_key_bag",
                "bag_value": keys.EncryptedPrivateKeyInfo(
                    {"encryption_algorithm": algorithm, "encrypted_data": encrypted}
                ),
                "bag_attributes": attributes,
            }
        ),
        pkcs12.SafeBag(
            {
                "bag_id": "cert_bag",
                "bag_value": pkcs12.CertBag({"cert_id": "x509", "cert_value": material.certificate}),
                "bag_attributes": attributes,
            }
        ),
    ]
    for extra in material.chain:
        bags.append(
            pkcs12.SafeBag(
                {"bag_id": "cert_bag", "bag_value": pkcs12.CertBag({"cert_id": "x509", "cert_value": extra})}
            )
        )
    safe = pkcs12.SafeContents(bags).dump()
    auth_safe = pkcs12.AuthenticatedSafe(
        [asn1_cms.ContentInfo({"content_type": "data", "content": safe})]
    ).dump()
    mac_salt = os.urandom(16)
    mac_key = _pkcs12_kdf("sha256", password, mac_salt, _MAC_ITERATIONS, 3, 32)
    pfx = pkcs12.Pfx(
        {
            "version": 3,
            "auth_safe": {"content_type": "data", "content": auth_safe},
            "mac_data": {
                "mac": {
                    "digest_algorithm": {"algorithm": "sha256"},
                    "digest": hmac.new(mac_key, auth_safe, "sha256").digest(),
                },
                "mac_salt": mac_salt,
                "iterations": _MAC_ITERATIONS,
            },
        }
    )
    out: bytes = pfx.dump()
    return out
