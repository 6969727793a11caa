"""Loading X.509 certificates and CRLs (PEM or DER) and reading their public keys, RSA or GOST.

Everything is parsed with asn1crypto because ``cryptography`` refuses to expose the Kazakh GOST keys;
``cryptography`` is used only to *do* RSA. Public keys are read through
:class:`kz_eds.gost.RawPublicKeyInfo`, since asn1crypto's own key parser raises ``KeyError`` on the
NCA key OID ``1.2.398.3.10.1.1.2.2``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Final

from asn1crypto import crl as asn1_crl
from asn1crypto import pem, x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kz_eds import oids
from kz_eds.exceptions import CertificateParseError, EdsConfigError
from kz_eds.gost import GostPublicKey, decode_gost_public_key, public_key_info_parts

PublicKey = rsa.RSAPublicKey | GostPublicKey

MAX_CERTIFICATE_BYTES: Final = 64 * 1024
MAX_CRL_BYTES: Final = 32 * 1024 * 1024
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def _to_der(data: bytes) -> list[bytes]:
    """Every DER object in ``data``: one for DER input, each block for PEM (bundles allowed)."""
    if pem.detect(data):
        return [der for _kind, _headers, der in pem.unarmor(data, multiple=True)]
    return [data]


def load_certificate(data: bytes) -> x509.Certificate:
    """Parse one certificate (PEM or DER); raise :class:`CertificateParseError` on anything else."""
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise CertificateParseError("certificate is larger than 64 KiB")
    try:
        ders = _to_der(data)
        if len(ders) != 1:
            raise CertificateParseError("expected exactly one certificate")
        cert = x509.Certificate.load(ders[0], strict=True)
        cert["tbs_certificate"]["subject"].native  # noqa: B018 - force a full parse now, not later
        cert["tbs_certificate"]["validity"].native  # noqa: B018
    except CertificateParseError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CertificateParseError(f"not an X.509 certificate: {exc}") from exc
    return cert


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Parse a PEM bundle or a single DER certificate."""
    out: list[x509.Certificate] = []
    try:
        ders = _to_der(data)
    except (ValueError, TypeError) as exc:
        raise CertificateParseError(f"not a certificate bundle: {exc}") from exc
    for der in ders:
        out.append(load_certificate(der))
    return out


def load_certificate_file(path: Path) -> x509.Certificate:
    try:
        return load_certificate(path.read_bytes())
    except OSError as exc:
        raise EdsConfigError(f"cannot read certificate {path}: {exc.strerror}") from exc
    except CertificateParseError as exc:
        raise EdsConfigError(f"{path}: {exc.message}") from exc


def load_crl(data: bytes) -> asn1_crl.CertificateList:
    if len(data) > MAX_CRL_BYTES:
        raise EdsConfigError("CRL is larger than 32 MiB")
    try:
        ders = _to_der(data)
        crl = asn1_crl.CertificateList.load(ders[0], strict=True)
        crl["tbs_cert_list"]["this_update"].native  # noqa: B018
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise EdsConfigError(f"not a CRL: {exc}") from exc
    return crl


def public_key_of(cert: x509.Certificate) -> PublicKey:
    """The certificate's key as an RSA key or a GOST point; ``ValueError`` for any other kind."""
    spki = cert["tbs_certificate"]["subject_public_key_info"].dump()
    algorithm, key_bytes = public_key_info_parts(spki)
    if algorithm in oids.GOST_KEY_OIDS:
        return decode_gost_public_key(key_bytes)
    if algorithm == oids.RSA_ENCRYPTION:
        key = load_der_public_key(spki)
        if isinstance(key, rsa.RSAPublicKey):
            return key
    raise ValueError(f"unsupported public key algorithm {algorithm}")


def key_algorithm_oid(cert: x509.Certificate) -> str:
    return public_key_info_parts(cert["tbs_certificate"]["subject_public_key_info"].dump())[0]


def name_text(name: x509.Name) -> str:
    """A readable one-line name ("CN=…, SERIALNUMBER=IIN…, C=KZ"), robust to BMP/UTF-8 strings."""
    labels = {
        oids.COMMON_NAME: "CN",
        oids.SURNAME: "SURNAME",
        oids.SERIAL_NUMBER: "SERIALNUMBER",
        oids.COUNTRY: "C",
        oids.LOCALITY: "L",
        oids.STATE: "ST",
        oids.ORGANISATION: "O",
        oids.ORGANISATIONAL_UNIT: "OU",
        oids.GIVEN_NAME: "G",
        oids.EMAIL_ADDRESS: "E",
    }
    parts: list[str] = []
    for rdn in name.chosen:
        for atv in rdn:
            oid = atv["type"].dotted
            parts.append(f"{labels.get(oid, oid)}={attribute_text(atv['value'])}")
    return ", ".join(parts)


def attribute_text(value: object) -> str:
    """The string inside a name attribute whatever its ASN.1 string type."""
    native = getattr(value, "native", value)
    if isinstance(native, bytes):
        return native.decode("utf-8", "replace")
    return str(native)


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def subject_key_id(cert: x509.Certificate) -> bytes | None:
    value = cert.key_identifier_value
    return bytes(value.native) if value is not None else None


def authority_key_id(cert: x509.Certificate) -> bytes | None:
    value = cert.authority_key_identifier_value
    if value is None or value["key_identifier"].native is None:
        return None
    return bytes(value["key_identifier"].native)
