"""Test identities on the kz_eds development PKI: the applicants and the regulator head it ships, plus
authentication certificates for the regulator's staff and the legal entity, issued by the same dev CA."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kz_eds import oids
from kz_eds.dev_pki import DevPki, generate_dev_pki
from kz_eds.identifiers import make_iin
from kz_eds.issuance import CertificateProfile, generate_key, issue_certificate, kz_name
from kz_eds.key_containers import KeyMaterial, read_key_files
from kz_eds.signing import GostFileSigner, RsaFileSigner, sign_cms
from kz_eds.signing import Signer as KzSigner

AUTH_USAGE = frozenset({"digital_signature", "key_encipherment"})


@dataclass(frozen=True)
class Identity:
    signer: KzSigner
    iin: str
    bin: str | None

    def sign(self, data: bytes, at: dt.datetime) -> bytes:
        return sign_cms(data, self.signer, signing_time=at, detached=True)


@dataclass
class TestPki:
    """One algorithm's part of a generated dev PKI, valid around ``generated_at``."""

    dev: DevPki
    algorithm: str
    generated_at: dt.datetime
    _issued: dict[str, Identity] = field(default_factory=dict)

    @property
    def regulator_bin(self) -> str:
        return str(self.dev.manifest["regulator"]["bin"])  # type: ignore[index]

    @property
    def entity_bin(self) -> str:
        return str(self.dev.manifest["legal_entity"]["bin"])  # type: ignore[index]

    def signing(self, role: str) -> Identity:
        """A signing identity the dev PKI ships (individual_entrepreneur, legal_first_head, ...)."""
        ident = self.dev.identity(self.algorithm, role)
        return Identity(self.dev.signer(self.algorithm, role), str(ident["iin"]), ident["bin"])  # type: ignore[arg-type]

    def head_p12(self) -> tuple[Path, str]:
        return self.dev.path(self.dev.identity(self.algorithm, "regulator_head")["p12"]), self.dev.password

    def auth(
        self, name: str, *, iin: str | None = None, bin_: str | None = None, org: str | None = None
    ) -> Identity:
        """An AUTHENTICATION certificate (clientAuth) for ``name``, issued once by the dev CA."""
        if name in self._issued:
            return self._issued[name]
        section = self.dev.manifest["algorithms"][self.algorithm]  # type: ignore[index]
        ca = read_key_files(self.dev.path(section["ca_key"]), self.dev.path(section["ca"]), None)
        person_iin = iin or make_iin(dt.date(1980, 5, 5), male=True, serial=len(self._issued) + 101)
        key = generate_key(self.algorithm)
        cert = issue_certificate(
            subject=kz_name(common_name=name, surname=name, iin=person_iin, bin=bin_, organisation=org),
            subject_key=key,
            issuer=ca.certificate,
            issuer_key=ca.key,
            not_before=self.generated_at - dt.timedelta(days=30),
            not_after=self.generated_at + dt.timedelta(days=365),
            profile=CertificateProfile(
                key_usage=AUTH_USAGE,
                extended_key_usage=(
                    oids.EKU_CLIENT_AUTH,
                    oids.ROLE_LEGAL_ENTITY if bin_ else oids.ROLE_INDIVIDUAL,
                ),
                policies=(oids.POLICY_LEGAL_AUTH if bin_ else oids.POLICY_INDIVIDUAL_AUTH,),
            ),
        )
        material = KeyMaterial(key, cert, (ca.certificate,))
        signer = GostFileSigner(material) if self.algorithm == "GOST2015-512" else RsaFileSigner(material)
        identity = Identity(signer, person_iin, bin_)
        self._issued[name] = identity
        return identity

    def settings(self) -> dict[str, object]:
        """Service settings trusting this PKI, with the head's key and the staff allow-list."""
        section = self.dev.manifest["algorithms"][self.algorithm]  # type: ignore[index]
        head_file, password = self.head_p12()
        return {
            "trust_roots": [self.dev.path(section["root"])],
            "trust_intermediates": [self.dev.path(section["ca"])],
            "trust_crls": [self.dev.path(section["ca_crl"]), self.dev.path(section["root_crl"])],
            "head_key_file": head_file,
            "head_key_password": password,
            "regulator_bin": self.regulator_bin,
            "staff": [
                {"iin": self.staff("officer").iin, "role": "officer"},
                {"iin": self.signing("regulator_head").iin, "role": "head"},
                {"iin": self.staff("auditor").iin, "role": "auditor"},
            ],
        }

    def staff(self, role: str) -> Identity:
        """The authentication identity of a regulator employee in ``role`` (officer, head, auditor)."""
        if role == "head":
            return self.auth(
                "HEAD", iin=self.signing("regulator_head").iin, bin_=self.regulator_bin, org="MDDIAI"
            )
        return self.auth(role.upper(), bin_=self.regulator_bin, org="MDDIAI")


def make_pki(directory: Path, *, algorithm: str, at: dt.datetime) -> TestPki:
    dev = generate_dev_pki(directory, now=at, algorithms=[algorithm])
    return TestPki(dev, algorithm, at)
