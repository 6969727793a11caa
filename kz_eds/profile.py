"""The NCA RK certificate profile: who a certificate names, for what purpose, in which roles.

NCA subjects carry the IIN as ``SERIALNUMBER=IIN<12 digits>`` (OID 2.5.4.5 with a text prefix), the
BIN as ``OU=BIN<12 digits>``, the patronymic in ``G`` (givenName), and the purpose and roles as
extended-key-usage OIDs. Strings come as UTF8String or BMPString depending on the issuing software;
asn1crypto decodes both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from asn1crypto import x509

from kz_eds import oids
from kz_eds.certificates import attribute_text, key_algorithm_oid, load_certificate, name_text
from kz_eds.exceptions import CertificateParseError
from kz_eds.results import Algorithm, Purpose

_IIN_PREFIX = "IIN"
_BIN_PREFIX = "BIN"


@dataclass(frozen=True, slots=True)
class KzCertificateProfile:
    """What an NCA-style certificate says about its holder."""

    iin: str | None
    bin: str | None
    organisation: str | None
    common_name: str | None
    surname: str | None
    given_name: str | None
    country: str | None
    email: str | None
    purpose: Purpose
    roles: tuple[str, ...]
    role_oids: tuple[str, ...]
    policies: tuple[str, ...]
    key_usage: frozenset[str]
    extended_key_usage: tuple[str, ...]
    algorithm: Algorithm
    serial_number: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    is_ca: bool

    @property
    def may_sign_for_entity(self) -> bool:
        """First head or a holder of the right-to-sign role."""
        return "first_head" in self.roles or "right_to_sign" in self.roles


def _attributes(name: x509.Name) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rdn in name.chosen:
        for atv in rdn:
            found.setdefault(atv["type"].dotted, []).append(attribute_text(atv["value"]))
    return found


def _first(values: dict[str, list[str]], oid: str) -> str | None:
    items = values.get(oid)
    return items[0] if items else None


def _prefixed(values: list[str], prefix: str) -> str | None:
    for value in values:
        text = value.strip()
        if text.upper().startswith(prefix) and text[len(prefix) :].isdigit():
            return text[len(prefix) :]
    return None


def _purpose(eku: tuple[str, ...]) -> Purpose:
    if oids.EKU_EMAIL_PROTECTION in eku:
        return "signing"
    if oids.EKU_CLIENT_AUTH in eku:
        return "authentication"
    return "unknown"


def _algorithm(cert: x509.Certificate) -> Algorithm:
    try:
        oid = key_algorithm_oid(cert)
    except ValueError:
        return "unknown"
    if oid in oids.GOST_KEY_OIDS:
        return "GOST2015-512"
    if oid == oids.RSA_ENCRYPTION:
        return "RSA-SHA256"
    return "unknown"


def profile_of(cert: x509.Certificate) -> KzCertificateProfile:
    """Read the Kazakh profile out of an already parsed certificate."""
    try:
        tbs = cert["tbs_certificate"]
        subject = _attributes(tbs["subject"])
        eku_value = cert.extended_key_usage_value
        eku = tuple(p.dotted for p in eku_value) if eku_value is not None else ()
        policies_value = cert.certificate_policies_value
        policies = (
            tuple(p["policy_identifier"].dotted for p in policies_value) if policies_value is not None else ()
        )
        key_usage_value = cert.key_usage_value
        key_usage = frozenset(key_usage_value.native) if key_usage_value is not None else frozenset()
        basic = cert.basic_constraints_value
        validity = tbs["validity"]
        return KzCertificateProfile(
            iin=_prefixed(subject.get(oids.SERIAL_NUMBER, []), _IIN_PREFIX),
            bin=_prefixed(
                subject.get(oids.ORGANISATIONAL_UNIT, []) + subject.get(oids.SERIAL_NUMBER, []), _BIN_PREFIX
            ),
            organisation=_first(subject, oids.ORGANISATION),
            common_name=_first(subject, oids.COMMON_NAME),
            surname=_first(subject, oids.SURNAME),
            given_name=_first(subject, oids.GIVEN_NAME),
            country=_first(subject, oids.COUNTRY),
            email=_first(subject, oids.EMAIL_ADDRESS),
            purpose=_purpose(eku),
            roles=tuple(oids.ROLE_NAMES[o] for o in eku if o in oids.ROLE_NAMES),
            role_oids=tuple(o for o in eku if o in oids.ROLE_NAMES),
            policies=policies,
            key_usage=key_usage,
            extended_key_usage=eku,
            algorithm=_algorithm(cert),
            serial_number=format(tbs["serial_number"].native, "x"),
            subject=name_text(tbs["subject"]),
            issuer=name_text(tbs["issuer"]),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            is_ca=bool(basic is not None and basic["ca"].native),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise CertificateParseError(f"certificate does not follow X.509: {exc}") from exc


def parse_kz_certificate(cert: bytes | x509.Certificate) -> KzCertificateProfile:
    """Parse a certificate (PEM, DER or asn1crypto object) and read its NCA RK profile."""
    parsed = load_certificate(cert) if isinstance(cert, bytes) else cert
    return profile_of(parsed)
