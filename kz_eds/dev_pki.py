"""A development PKI shaped like the NCA RK's, for the devnet, the registry service and the tests.

For RSA and for GOST it makes a root and an issuing CA, applicants (an individual entrepreneur by
IIN; a legal entity's first head, an employee without the right to sign and a person with the right
to sign, by IIN + BIN + O), the regulator head's signing certificate, an authentication-only
certificate, an expired and a revoked one (with the CRLs), and a TSA certificate. Logging in to the
registry needs AUTHENTICATION certificates, so it also issues them for the regulator's staff (an officer,
the head under the same IIN as the signing head, an auditor; listed with their registry roles under
``staff``) and for the legal entity's first head. Identifiers carry valid check digits. Everything
lands in one folder with ``manifest.json`` listing each file and its role. Keys are development
secrets: files are 0600, nothing here logs them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from asn1crypto import pem, x509

from kz_eds import oids
from kz_eds.exceptions import EdsConfigError
from kz_eds.identifiers import make_bin, make_iin
from kz_eds.issuance import CertificateProfile, generate_key, issue_certificate, issue_crl, kz_name
from kz_eds.key_containers import KeyMaterial, PrivateKey, pem_private_key, read_key_files, write_pkcs12
from kz_eds.signing import GostFileSigner, RsaFileSigner, Signer
from kz_eds.trust import TrustStore
from kz_eds.tsa import TimeStampAuthority

MANIFEST: Final = "manifest.json"
PASSWORD_FILE: Final = "p12-password.txt"  # noqa: S105 - a file name, the password is random
ALGORITHMS: Final = ("RSA-SHA256", "GOST2015-512")
_FOLDERS: Final = {"RSA-SHA256": "rsa", "GOST2015-512": "gost"}
_TAG: Final = {"RSA-SHA256": "RSA", "GOST2015-512": "GOST"}
REVOKED_BEFORE_NOW: Final = dt.timedelta(days=1)

_SIGNING_USAGE = frozenset({"digital_signature", "non_repudiation"})
_AUTH_USAGE = frozenset({"digital_signature", "key_encipherment"})
_CA_USAGE = frozenset({"key_cert_sign", "crl_sign"})

REGULATOR = "Министерство цифрового развития, инноваций и аэрокосмической промышленности РК"
PLATFORM_COMPANY = 'ТОО "Digital Asset Platform"'


@dataclass(frozen=True, slots=True)
class _Person:
    role: str
    surname: str | None
    name: str
    patronymic: str | None
    iin: str | None
    bin: str | None
    organisation: str | None
    eku: tuple[str, ...]
    usage: frozenset[str]
    policies: tuple[str, ...]
    expired: bool = False


# role, surname, name, patronymic, year of birth, male, employer, kind, NCA role (besides legal entity)
_APPLICANTS: Final = (
    ("individual_entrepreneur", "ЖАҚСЫБЕКОВ", "АЙДОС", "СЕРІКҰЛЫ", 1986, True, None, "sign", "individual"),
    ("legal_first_head", "СЕЙІТОВА", "ДИНАРА", "ҚАЙРАТҚЫЗЫ", 1979, False, "platform", "sign", "first_head"),
    ("legal_right_to_sign", "ИВАНОВА", "ЕЛЕНА", "ПЕТРОВНА", 1990, False, "platform", "sign", "right_to_sign"),
    ("legal_employee", "ОМАРОВ", "ЕРЛАН", "БОЛАТҰЛЫ", 1995, True, "platform", "sign", "employee"),
    ("regulator_head", "ӘБДІРАХМАНОВ", "НҰРЛАН", "ЕРМЕКҰЛЫ", 1975, True, "regulator", "sign", "first_head"),
    ("authentication", "ЖАҚСЫБЕКОВ", "АЙДОС", "СЕРІКҰЛЫ", 1986, True, None, "auth", "individual"),
    ("expired", "ТЕМІРОВ", "АСҚАР", None, 1988, True, None, "expired", "individual"),
    ("revoked", "НҰРЛАНОВА", "АЙГҮЛ", None, 1992, False, None, "sign", "individual"),
    # Authentication (login) certificates: the regulator's staff and the applicant's first head.
    ("regulator_officer", "ҚАСЫМОВА", "ӘСЕЛ", "БЕРІКҚЫЗЫ", 1988, False, "regulator", "auth", "employee"),
    ("regulator_head_auth", "ӘБДІРАХМАНОВ", "НҰРЛАН", "ЕРМЕКҰЛЫ", 1975, True, "regulator", "auth", "first_head"),  # noqa: E501
    ("regulator_auditor", "БЕКОВ", "ТІМУР", "АСЛАНҰЛЫ", 1983, True, "regulator", "auth", "employee"),
    ("legal_first_head_auth", "СЕЙІТОВА", "ДИНАРА", "ҚАЙРАТҚЫЗЫ", 1979, False, "platform", "auth", "first_head"),  # noqa: E501
)  # fmt: skip

STAFF_ROLES: Final[dict[str, str]] = {
    "regulator_officer": "officer",
    "regulator_head_auth": "head",
    "regulator_auditor": "auditor",
}
"""Identity -> the registry role it logs in as; the head's login shares the IIN of ``regulator_head``."""


def _people(*, entity_bin: str, regulator_bin: str) -> list[_Person]:
    """The applicants of ``_APPLICANTS`` with fresh valid IINs (the same person keeps one IIN)."""
    iins: dict[tuple[str, str], str] = {}
    employers = {"platform": (entity_bin, PLATFORM_COMPANY), "regulator": (regulator_bin, REGULATOR)}
    people: list[_Person] = []
    for role, surname, name, patronymic, year, male, employer, kind, nca_role in _APPLICANTS:
        birth = dt.date(year, 1 + secrets.randbelow(12), 1 + secrets.randbelow(28))
        iin = iins.setdefault((surname, name), make_iin(birth, male=male, serial=secrets.randbelow(9000)))
        bin_, organisation = employers[employer] if employer else (None, None)
        purpose = oids.EKU_CLIENT_AUTH if kind == "auth" else oids.EKU_EMAIL_PROTECTION
        legal = (oids.ROLE_LEGAL_ENTITY,) if employer else ()
        if kind == "auth":
            policy = oids.POLICY_LEGAL_AUTH if employer else oids.POLICY_INDIVIDUAL_AUTH
        else:
            policy = oids.POLICY_LEGAL_SIGN if employer else oids.POLICY_INDIVIDUAL_SIGN
        people.append(
            _Person(
                role=role,
                surname=surname,
                name=name,
                patronymic=patronymic,
                iin=iin,
                bin=bin_,
                organisation=organisation,
                eku=(purpose, *legal, oids.ROLE_OIDS[nca_role]),
                usage=_AUTH_USAGE if kind == "auth" else _SIGNING_USAGE,
                policies=(policy,),
                expired=kind == "expired",
            )
        )
    return people


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)
    else:
        path.write_bytes(data)


def _cert_pem(cert: x509.Certificate) -> bytes:
    armored: bytes = pem.armor("CERTIFICATE", cert.dump())
    return armored


@dataclass(slots=True)
class _Writer:
    root: Path
    files: list[dict[str, str]]

    def put(
        self, rel: str, data: bytes, *, role: str, kind: str, algorithm: str, secret: bool = False
    ) -> str:
        _write(self.root / rel, data, secret=secret)
        self.files.append({"path": rel, "role": role, "kind": kind, "algorithm": algorithm})
        return rel


def _issue_algorithm(
    writer: _Writer, algorithm: str, *, now: dt.datetime, password: str, entity_bin: str, regulator_bin: str
) -> dict[str, object]:
    folder, tag = _FOLDERS[algorithm], _TAG[algorithm]
    year = dt.timedelta(days=365)
    root_key = generate_key(algorithm)
    root = issue_certificate(
        subject=kz_name(common_name=f"НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ ({tag}) DEV"),
        subject_key=root_key,
        issuer=None,
        issuer_key=root_key,
        not_before=now - year,
        not_after=now + 10 * year,
        profile=CertificateProfile(
            is_ca=True, path_length=1, key_usage=_CA_USAGE, policies=(oids.POLICY_NCA,)
        ),
    )
    ca_key = generate_key(algorithm)
    ca = issue_certificate(
        subject=kz_name(common_name=f"ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ ({tag}) DEV"),
        subject_key=ca_key,
        issuer=root,
        issuer_key=root_key,
        not_before=now - year,
        not_after=now + 5 * year,
        profile=CertificateProfile(
            is_ca=True, path_length=0, key_usage=_CA_USAGE, policies=(oids.POLICY_NCA,)
        ),
    )
    out: dict[str, object] = {
        "root": writer.put(
            f"{folder}/root.pem", _cert_pem(root), role="root", kind="certificate", algorithm=algorithm
        ),
        "root_key": writer.put(
            f"{folder}/root.key.pem",
            pem_private_key(root_key),
            role="root",
            kind="private_key",
            algorithm=algorithm,
            secret=True,
        ),
        "ca": writer.put(
            f"{folder}/ca.pem", _cert_pem(ca), role="issuing_ca", kind="certificate", algorithm=algorithm
        ),
        "ca_key": writer.put(
            f"{folder}/ca.key.pem",
            pem_private_key(ca_key),
            role="issuing_ca",
            kind="private_key",
            algorithm=algorithm,
            secret=True,
        ),
    }
    identities: dict[str, dict[str, object]] = {}
    revoked_serials: list[tuple[int, dt.datetime]] = []
    for person in _people(entity_bin=entity_bin, regulator_bin=regulator_bin):
        key = generate_key(algorithm)
        start, end = (
            (now - 2 * year, now - year) if person.expired else (now - dt.timedelta(days=30), now + year)
        )
        cn = f"{person.surname} {person.name}" if person.surname else person.name
        cert = issue_certificate(
            subject=kz_name(
                common_name=cn,
                surname=person.surname,
                given_name=person.patronymic,
                iin=person.iin,
                bin=person.bin,
                organisation=person.organisation,
            ),
            subject_key=key,
            issuer=ca,
            issuer_key=ca_key,
            not_before=start,
            not_after=end,
            profile=CertificateProfile(
                key_usage=person.usage, extended_key_usage=person.eku, policies=person.policies
            ),
        )
        if person.role == "revoked":
            revoked_serials.append((cert.serial_number, now - REVOKED_BEFORE_NOW))
        identities[person.role] = _write_identity(
            writer,
            folder=folder,
            role=person.role,
            algorithm=algorithm,
            key=key,
            cert=cert,
            ca=ca,
            password=password,
            iin=person.iin,
            bin_=person.bin,
        )
    tsa_key = generate_key(algorithm)
    tsa_cert = issue_certificate(
        subject=kz_name(common_name=f"TSA DEV ({tag})", organisation="НУЦ РК DEV"),
        subject_key=tsa_key,
        issuer=ca,
        issuer_key=ca_key,
        not_before=now - year,
        not_after=now + 3 * year,
        profile=CertificateProfile(
            key_usage=_SIGNING_USAGE, extended_key_usage=(oids.EKU_TIME_STAMPING,), critical_eku=True
        ),
    )
    identities["tsa"] = _write_identity(
        writer,
        folder=folder,
        role="tsa",
        algorithm=algorithm,
        key=tsa_key,
        cert=tsa_cert,
        ca=ca,
        password=password,
        iin=None,
        bin_=None,
    )
    ca_crl = issue_crl(
        issuer=ca,
        issuer_key=ca_key,
        revoked=revoked_serials,
        this_update=now - dt.timedelta(hours=1),
        next_update=now + dt.timedelta(days=7),
        number=1,
    )
    root_crl = issue_crl(
        issuer=root,
        issuer_key=root_key,
        revoked=[],
        this_update=now - dt.timedelta(hours=1),
        next_update=now + dt.timedelta(days=30),
        number=1,
    )
    out["ca_crl"] = writer.put(
        f"{folder}/ca.crl", ca_crl.dump(), role="issuing_ca_crl", kind="crl", algorithm=algorithm
    )
    out["root_crl"] = writer.put(
        f"{folder}/root.crl", root_crl.dump(), role="root_crl", kind="crl", algorithm=algorithm
    )
    out["identities"] = identities
    out["staff"] = [
        {"identity": name, "role": role, "iin": identities[name]["iin"]} for name, role in STAFF_ROLES.items()
    ]
    out["revoked_at"] = (now - REVOKED_BEFORE_NOW).isoformat()
    return out


def _write_identity(
    writer: _Writer,
    *,
    folder: str,
    role: str,
    algorithm: str,
    key: PrivateKey,
    cert: x509.Certificate,
    ca: x509.Certificate,
    password: str,
    iin: str | None,
    bin_: str | None,
) -> dict[str, object]:
    material = KeyMaterial(key, cert, (ca,))
    return {
        "certificate": writer.put(
            f"{folder}/{role}.pem", _cert_pem(cert), role=role, kind="certificate", algorithm=algorithm
        ),
        "key": writer.put(
            f"{folder}/{role}.key.pem",
            pem_private_key(key),
            role=role,
            kind="private_key",
            algorithm=algorithm,
            secret=True,
        ),
        "p12": writer.put(
            f"{folder}/{role}.p12",
            write_pkcs12(material, password),
            role=role,
            kind="pkcs12",
            algorithm=algorithm,
            secret=True,
        ),
        "iin": iin,
        "bin": bin_,
        "serial": format(cert.serial_number, "x"),
    }


@dataclass(frozen=True, slots=True)
class DevPki:
    """A generated development PKI folder, read back through its manifest."""

    directory: Path
    manifest: dict[str, object]

    @classmethod
    def load(cls, directory: Path) -> DevPki:
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EdsConfigError(f"{directory} holds no readable dev PKI manifest") from exc
        if not isinstance(manifest, dict) or manifest.get("kind") != "kz_eds.dev_pki":
            raise EdsConfigError(f"{directory / MANIFEST} is not a kz_eds dev PKI manifest")
        return cls(directory, manifest)

    def _section(self, algorithm: str) -> dict[str, object]:
        sections = self.manifest["algorithms"]
        if not isinstance(sections, dict) or algorithm not in sections:
            raise EdsConfigError(f"the dev PKI has no {algorithm} part")
        section: dict[str, object] = sections[algorithm]
        return section

    def ca_file(self, algorithm: str, which: str) -> Path:
        """Path of the ``root``, ``root_key``, ``ca``, ``ca_key``, ``ca_crl`` or ``root_crl`` file."""
        section = self._section(algorithm)
        if which not in ("root", "root_key", "ca", "ca_key", "ca_crl", "root_crl"):
            raise EdsConfigError(f"the dev PKI has no CA file {which!r}")
        return self.path(section[which])

    def identity(self, algorithm: str, role: str) -> dict[str, object]:
        identities = self._section(algorithm)["identities"]
        if not isinstance(identities, dict) or role not in identities:
            raise EdsConfigError(f"the dev PKI has no {role!r} identity")
        found: dict[str, object] = identities[role]
        return found

    def path(self, rel: object) -> Path:
        return self.directory / str(rel)

    @property
    def password(self) -> str:
        return self.path(self.manifest["p12_password_file"]).read_text(encoding="utf-8").strip()

    def signer(self, algorithm: str, role: str) -> Signer:
        ident = self.identity(algorithm, role)
        material = read_key_files(self.path(ident["key"]), self.path(ident["certificate"]), None)
        material = KeyMaterial(material.key, material.certificate, tuple(self.certificates(algorithm, "ca")))
        return GostFileSigner(material) if algorithm == "GOST2015-512" else RsaFileSigner(material)

    def certificates(self, algorithm: str, which: str) -> list[x509.Certificate]:
        from kz_eds.certificates import load_certificates  # noqa: PLC0415

        return load_certificates(self.path(self._section(algorithm)[which]).read_bytes())

    def certificate(self, algorithm: str, role: str) -> x509.Certificate:
        from kz_eds.certificates import load_certificate  # noqa: PLC0415

        return load_certificate(self.path(self.identity(algorithm, role)["certificate"]).read_bytes())

    def tsa(self, algorithm: str) -> TimeStampAuthority:
        ident = self.identity(algorithm, "tsa")
        material = read_key_files(self.path(ident["key"]), self.path(ident["certificate"]), None)
        return TimeStampAuthority(
            material.certificate, material.key, tuple(self.certificates(algorithm, "ca"))
        )

    def staff(self) -> list[dict[str, str]]:
        """The regulator's staff over every algorithm: ``{"algorithm", "identity", "role", "iin"}`` each."""
        sections = self.manifest.get("algorithms")
        members: list[dict[str, str]] = []
        for algorithm, section in sections.items() if isinstance(sections, dict) else ():
            for entry in section.get("staff", ()) if isinstance(section, dict) else ():
                members.append({"algorithm": str(algorithm), **{k: str(v) for k, v in entry.items()}})
        return members

    def root_paths(self, algorithms: Iterable[str] = ALGORITHMS) -> list[Path]:
        return [self.path(self._section(a)["root"]) for a in algorithms]

    def crl_paths(self, algorithms: Iterable[str] = ALGORITHMS) -> list[Path]:
        return [self.path(self._section(a)[k]) for a in algorithms for k in ("ca_crl", "root_crl")]

    def trust_store(self, *, algorithms: Iterable[str] = ALGORITHMS, with_crls: bool = True) -> TrustStore:
        chosen = list(algorithms)
        return TrustStore.from_files(
            self.root_paths(chosen),
            intermediates=[self.path(self._section(a)["ca"]) for a in chosen],
            crls=self.crl_paths(chosen) if with_crls else (),
        )


def generate_dev_pki(
    directory: Path, *, now: dt.datetime, force: bool = False, algorithms: Iterable[str] = ALGORITHMS
) -> DevPki:
    """Create the development PKI in ``directory``; refuses to overwrite one unless ``force``."""
    if now.tzinfo is None:
        raise EdsConfigError("now must be timezone-aware")
    chosen = list(algorithms)
    for algorithm in chosen:
        if algorithm not in ALGORITHMS:
            raise EdsConfigError(f"unknown algorithm {algorithm!r}; choose from {', '.join(ALGORITHMS)}")
    if (directory / MANIFEST).exists() or any((directory / f).exists() for f in _FOLDERS.values()):
        if not force:
            raise EdsConfigError(f"{directory} already holds a dev PKI; use --force to replace it")
        for folder in _FOLDERS.values():
            shutil.rmtree(directory / folder, ignore_errors=True)
        for name in (MANIFEST, PASSWORD_FILE):
            (directory / name).unlink(missing_ok=True)
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    writer = _Writer(directory, [])
    writer.put(
        PASSWORD_FILE,
        password.encode() + b"\n",
        role="pkcs12_password",
        kind="secret",
        algorithm="-",
        secret=True,
    )
    entity_bin = make_bin(dt.date(2021, 3, 1), serial=secrets.randbelow(90000))
    regulator_bin = make_bin(dt.date(2019, 6, 1), serial=secrets.randbelow(90000))
    sections = {
        algorithm: _issue_algorithm(
            writer, algorithm, now=now, password=password, entity_bin=entity_bin, regulator_bin=regulator_bin
        )
        for algorithm in chosen
    }
    manifest: dict[str, object] = {
        "kind": "kz_eds.dev_pki",
        "version": 1,
        "generated_at": now.astimezone(dt.UTC).isoformat(),
        "p12_password_file": PASSWORD_FILE,
        "legal_entity": {"bin": entity_bin, "organisation": PLATFORM_COMPANY},
        "regulator": {"bin": regulator_bin, "organisation": REGULATOR},
        "algorithms": sections,
        "files": writer.files,
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return DevPki(directory, manifest)
