"""Making CMS signatures (the development and regulator side): signers and SignedData assembly.

A :class:`Signer` is an interface so a hardware token (NCALayer, PKCS#11) can be added later without
touching CMS assembly; the file signers here open PKCS#12 or PEM key files. Signatures carry the
signed attributes NCA verifiers expect: content-type, message-digest, signing-time and ESS
signing-certificate-v2 (which binds the signer's certificate so it cannot be swapped).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, Self, runtime_checkable

from asn1crypto import cms, x509
from cryptography.hazmat.primitives.asymmetric import rsa

from kz_eds.exceptions import KeyLoadError, SigningError
from kz_eds.gost import GostPrivateKey
from kz_eds.issuance import digest_algorithm_oid, sign_with, signature_algorithm_oid
from kz_eds.key_containers import KeyMaterial, PrivateKey, read_key_files
from kz_eds.results import Algorithm
from kz_eds.signatures import digest

# A time-stamping hook: given the signature value and the digest OID to imprint it with, return a
# DER TimeStampToken (a CMS ContentInfo). The development TSA in ``kz_eds.tsa`` provides one.
Timestamper = Callable[[bytes, str], bytes]


@runtime_checkable
class Signer(Protocol):
    """Something that holds a signing key and its certificate."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]: ...

    @property
    def algorithm(self) -> Algorithm: ...

    @property
    def digest_algorithm(self) -> str:
        """OID of the digest the signature algorithm uses (SHA-256 or Streebog-512)."""
        ...

    @property
    def signature_algorithm(self) -> str: ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the signer hashes it)."""
        ...


class _FileSigner:
    """A signer whose key came from a file; never shows the key in ``repr``."""

    _expected: type

    def __init__(self, material: KeyMaterial) -> None:
        if not isinstance(material.key, self._expected):
            raise KeyLoadError(f"{type(self).__name__} needs a {self._expected.__name__}")
        self._key: PrivateKey = material.key
        self._certificate = material.certificate
        self._chain = material.chain

    def __repr__(self) -> str:
        return f"{type(self).__name__}(certificate serial {self._certificate.serial_number:x})"

    @classmethod
    def from_pkcs12(cls, path: Path, password: str) -> Self:
        return cls(read_key_files(path, None, password))

    @classmethod
    def from_pem(cls, key_path: Path, certificate_path: Path, password: str | None = None) -> Self:
        return cls(read_key_files(key_path, certificate_path, password))

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self._chain

    @property
    def digest_algorithm(self) -> str:
        return digest_algorithm_oid(self._key)

    @property
    def signature_algorithm(self) -> str:
        return signature_algorithm_oid(self._key)

    def sign(self, data: bytes) -> bytes:
        return sign_with(self._key, data)


class RsaFileSigner(_FileSigner):
    """RSA-2048 / SHA-256 key from a PKCS#12 or PEM file (older NCA key kits)."""

    _expected = rsa.RSAPrivateKey

    @property
    def algorithm(self) -> Algorithm:
        return "RSA-SHA256"


class GostFileSigner(_FileSigner):
    """GOST R 34.10-2015 512-bit / Streebog-512 key from a PKCS#12 (NCA or ours) or PEM PKCS#8 file."""

    _expected = GostPrivateKey

    @property
    def algorithm(self) -> Algorithm:
        return "GOST2015-512"


def load_signer(key_path: Path, certificate_path: Path | None = None, password: str | None = None) -> Signer:
    """Open a key file and return the matching signer kind."""
    material = read_key_files(key_path, certificate_path, password)
    if isinstance(material.key, GostPrivateKey):
        return GostFileSigner(material)
    return RsaFileSigner(material)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise SigningError("signing_time must be timezone-aware")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def _signing_certificate_v2(cert: x509.Certificate) -> dict[str, object]:
    return {
        "certs": [
            {
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(cert.dump()).digest(),
                "issuer_serial": {
                    "issuer": [x509.GeneralName(name="directory_name", value=cert.issuer)],
                    "serial_number": cert.serial_number,
                },
            }
        ]
    }


def sign_cms(
    data: bytes,
    signer: Signer,
    *,
    signing_time: dt.datetime,
    detached: bool = True,
    timestamper: Timestamper | None = None,
) -> bytes:
    """CMS SignedData (DER) over ``data`` with the signed attributes of the NCA profile.

    ``timestamper`` adds an RFC 3161 token over the signature value as the unsigned attribute
    id-aa-signatureTimeStampToken, proving the time of signing to any later verifier.
    """
    digest_oid = signer.digest_algorithm
    message_digest = digest(digest_oid, data)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time(name="utc_time", value=_utc(signing_time))]}
            ),
            cms.CMSAttribute({"type": "message_digest", "values": [message_digest]}),
            cms.CMSAttribute(
                {"type": "signing_certificate_v2", "values": [_signing_certificate_v2(signer.certificate)]}
            ),
        ]
    )
    signature = signer.sign(signed_attrs.dump())
    signer_info: dict[str, object] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value={"issuer": signer.certificate.issuer, "serial_number": signer.certificate.serial_number},
        ),
        "digest_algorithm": {"algorithm": digest_oid},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": signer.signature_algorithm},
        "signature": signature,
    }
    if timestamper is not None:
        token = cms.ContentInfo.load(timestamper(signature, digest_oid))
        signer_info["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    encap: dict[str, object] = {"content_type": "data"}
    if not detached:
        encap["content"] = data
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": digest_oid}],
            "encap_content_info": encap,
            "certificates": [signer.certificate, *signer.chain],
            "signer_infos": [signer_info],
        }
    )
    der: bytes = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    return der


def sign_detached(
    data: bytes, signer: Signer, *, signing_time: dt.datetime, timestamper: Timestamper | None = None
) -> bytes:
    """Detached CMS signature: the document travels separately (how the registry stores Annex 2-4 forms)."""
    return sign_cms(data, signer, signing_time=signing_time, detached=True, timestamper=timestamper)


def sign_attached(
    data: bytes, signer: Signer, *, signing_time: dt.datetime, timestamper: Timestamper | None = None
) -> bytes:
    """Attached CMS signature: the document is inside the SignedData."""
    return sign_cms(data, signer, signing_time=signing_time, detached=False, timestamper=timestamper)
