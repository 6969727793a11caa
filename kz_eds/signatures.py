"""One place that checks a signature over bytes, whichever algorithm the NCA used (RSA or GOST).

Certificates, CRLs, OCSP responses, CMS signer infos and time-stamp tokens all end in "this key
signed these bytes with this algorithm", so they all come here.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kz_eds import oids
from kz_eds.certificates import PublicKey
from kz_eds.gost import GostPublicKey
from kz_eds.streebog import streebog512

RSA_SIGNATURE_OIDS = frozenset({oids.SHA256_WITH_RSA, oids.RSA_ENCRYPTION})
SUPPORTED_DIGESTS = frozenset({oids.SHA256, oids.KZ_STREEBOG_512})


def digest(algorithm_oid: str, data: bytes) -> bytes:
    """Hash ``data`` with SHA-256 or Streebog-512 (the Kazakh OID); ``ValueError`` otherwise."""
    if algorithm_oid == oids.SHA256:
        return hashlib.sha256(data).digest()
    if algorithm_oid in oids.STREEBOG_512_OIDS:
        return streebog512(data)
    raise ValueError(f"unsupported digest algorithm {algorithm_oid}")


def verify_signature(key: PublicKey, signature_oid: str, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` by ``key`` over ``data`` is valid for ``signature_oid``.

    ``signature_oid`` may name the signature algorithm or (as CMS often does) only the key
    algorithm; it must agree with the key's type, so an RSA key cannot pass a GOST-labelled check.
    """
    if isinstance(key, GostPublicKey):
        if signature_oid not in oids.GOST_SIGNATURE_OIDS | oids.GOST_KEY_OIDS:
            return False
        return key.verify(data, signature)
    if isinstance(key, rsa.RSAPublicKey) and signature_oid in RSA_SIGNATURE_OIDS:
        try:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True
    return False
