"""Issuing certificates and CRLs with RSA or GOST keys (for the development PKI and the dev TSA).

``cryptography``'s builders cannot sign with GOST, so TBSCertificate and TBSCertList are built with
asn1crypto and signed by :func:`sign_with`; RSA goes the same way so both algorithms share one
code path and one profile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import core, crl, keys, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kz_eds import oids
from kz_eds.gost import GostPrivateKey, encode_public_key_info
from kz_eds.key_containers import PrivateKey


def signature_algorithm_oid(key: PrivateKey) -> str:
    return oids.KZ_GOST2015_512_SIGNATURE if isinstance(key, GostPrivateKey) else oids.SHA256_WITH_RSA


def digest_algorithm_oid(key: PrivateKey) -> str:
    return oids.KZ_STREEBOG_512 if isinstance(key, GostPrivateKey) else oids.SHA256


def sign_with(key: PrivateKey, data: bytes) -> bytes:
    """Sign ``data`` (hashing it with the key's digest): Streebog-512/GOST or SHA-256/RSA PKCS#1 v1.5."""
    if isinstance(key, GostPrivateKey):
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def public_key_info_der(key: PrivateKey) -> bytes:
    if isinstance(key, GostPrivateKey):
        return encode_public_key_info(key.public_key())
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _signature_algorithm(key: PrivateKey) -> x509.SignedDigestAlgorithm:
    return x509.SignedDigestAlgorithm({"algorithm": signature_algorithm_oid(key), "parameters": core.Null()})


def key_identifier(spki_der: bytes) -> bytes:
    """SHA-1 of the SubjectPublicKeyInfo (RFC 5280 style; an identifier, not a security measure)."""
    return hashlib.sha1(spki_der).digest()  # noqa: S324


def kz_name(
    *,
    common_name: str,
    surname: str | None = None,
    given_name: str | None = None,
    iin: str | None = None,
    bin: str | None = None,
    organisation: str | None = None,
    country: str = "KZ",
) -> x509.Name:
    """An NCA-style subject: CN, SURNAME, SERIALNUMBER=IIN…, C, O, OU=BIN…, G, all UTF8String."""
    rdns: list[tuple[str, str]] = [(oids.COMMON_NAME, common_name)]
    if surname:
        rdns.append((oids.SURNAME, surname))
    if iin:
        rdns.append((oids.SERIAL_NUMBER, f"IIN{iin}"))
    rdns.append((oids.COUNTRY, country))
    if organisation:
        rdns.append((oids.ORGANISATION, organisation))
    if bin:
        rdns.append((oids.ORGANISATIONAL_UNIT, f"BIN{bin}"))
    if given_name:
        rdns.append((oids.GIVEN_NAME, given_name))
    sequence = []
    for oid, value in rdns:
        if oid in (oids.COUNTRY, oids.SERIAL_NUMBER):
            wrapped: x509.NameTypeAndValue = x509.NameTypeAndValue(
                {"type": oid, "value": core.PrintableString(value)}
            )
        else:
            wrapped = x509.NameTypeAndValue({"type": oid, "value": core.UTF8String(value)})
        sequence.append(x509.RelativeDistinguishedName([wrapped]))
    return x509.Name(name="", value=x509.RDNSequence(sequence))


@dataclass(frozen=True, slots=True)
class CertificateProfile:
    """The extensions of one certificate kind."""

    is_ca: bool = False
    path_length: int | None = None
    key_usage: frozenset[str] = frozenset({"digital_signature", "non_repudiation"})
    extended_key_usage: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    crl_urls: tuple[str, ...] = ()
    critical_eku: bool = False


def issue_certificate(
    *,
    subject: x509.Name,
    subject_key: PrivateKey | None,
    subject_public_key_info: bytes | None = None,
    issuer: x509.Certificate | None,
    issuer_key: PrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    profile: CertificateProfile,
    serial: int | None = None,
) -> x509.Certificate:
    """Build and sign a v3 certificate; ``issuer=None`` makes it self-signed by ``issuer_key``."""
    spki = (
        subject_public_key_info
        if subject_public_key_info is not None
        else public_key_info_der(_req(subject_key))
    )
    ski = key_identifier(spki)
    aki: bytes | None
    if issuer is None:
        issuer_name, aki = subject, ski
    else:
        issuer_name = issuer["tbs_certificate"]["subject"]
        aki = bytes(issuer.key_identifier_value.native) if issuer.key_identifier_value else None
    extensions: list[dict[str, object]] = [
        {"extn_id": "basic_constraints", "critical": True, "extn_value": _basic(profile)},
        {"extn_id": "key_usage", "critical": True, "extn_value": set(profile.key_usage)},
        {"extn_id": "key_identifier", "critical": False, "extn_value": ski},
    ]
    if aki is not None:
        extensions.append(
            {"extn_id": "authority_key_identifier", "critical": False, "extn_value": {"key_identifier": aki}}
        )
    if profile.extended_key_usage:
        extensions.append(
            {
                "extn_id": "extended_key_usage",
                "critical": profile.critical_eku,
                "extn_value": list(profile.extended_key_usage),
            }
        )
    if profile.policies:
        extensions.append(
            {
                "extn_id": "certificate_policies",
                "critical": False,
                "extn_value": [{"policy_identifier": p} for p in profile.policies],
            }
        )
    if profile.crl_urls:
        extensions.append(
            {
                "extn_id": "crl_distribution_points",
                "critical": False,
                "extn_value": [
                    {"distribution_point": {"full_name": [{"uniform_resource_identifier": u}]}}
                    for u in profile.crl_urls
                ],
            }
        )
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial if serial is not None else secrets.randbits(120) | (1 << 120),
            "signature": _signature_algorithm(issuer_key),
            "issuer": issuer_name,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(spki),
            "extensions": extensions,
        }
    )
    signature = sign_with(issuer_key, tbs.dump())
    return x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": _signature_algorithm(issuer_key),
            "signature_value": signature,
        }
    )


def _req(key: PrivateKey | None) -> PrivateKey:
    if key is None:
        raise ValueError("a subject key or a subject public key info is needed")
    return key


def _basic(profile: CertificateProfile) -> dict[str, object]:
    value: dict[str, object] = {"ca": profile.is_ca}
    if profile.is_ca and profile.path_length is not None:
        value["path_len_constraint"] = profile.path_length
    return value


def _time(moment: dt.datetime) -> x509.Time:
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)
    if 1950 <= moment.year < 2050:
        return x509.Time(name="utc_time", value=moment)
    return x509.Time(name="general_time", value=moment)


def issue_crl(
    *,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    revoked: Sequence[tuple[int, dt.datetime]],
    this_update: dt.datetime,
    next_update: dt.datetime,
    number: int,
) -> crl.CertificateList:
    """A v2 CRL listing ``(serial, revocation time)`` pairs, signed by the issuing CA."""
    entries = [
        {
            "user_certificate": serial,
            "revocation_date": _time(when),
            "crl_entry_extensions": [
                {"extn_id": "crl_reason", "critical": False, "extn_value": "key_compromise"}
            ],
        }
        for serial, when in revoked
    ]
    aki = bytes(issuer.key_identifier_value.native) if issuer.key_identifier_value else None
    extensions: list[dict[str, object]] = [{"extn_id": "crl_number", "critical": False, "extn_value": number}]
    if aki is not None:
        extensions.append(
            {"extn_id": "authority_key_identifier", "critical": False, "extn_value": {"key_identifier": aki}}
        )
    tbs = crl.TbsCertList(
        {
            "version": "v2",
            "signature": _signature_algorithm(issuer_key),
            "issuer": issuer["tbs_certificate"]["subject"],
            "this_update": _time(this_update),
            "next_update": _time(next_update),
            "revoked_certificates": entries or None,
            "crl_extensions": extensions,
        }
    )
    signature = sign_with(issuer_key, tbs.dump())
    return crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": _signature_algorithm(issuer_key),
            "signature": signature,
        }
    )


def generate_key(algorithm: str) -> PrivateKey:
    """A fresh key: ``"GOST2015-512"`` or ``"RSA-SHA256"`` (2048-bit)."""
    if algorithm == "GOST2015-512":
        return GostPrivateKey.generate()
    if algorithm == "RSA-SHA256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown algorithm {algorithm}")
