"""The service's port to EDS: verify a CMS signature for a purpose and identity, sign a result.

The workflow depends only on the two protocols here; :class:`KzEdsVerifier` and :func:`load_head_signer`
adapt them to ``kz_eds`` (chain, time, revocation, signing purpose, IIN/BIN and right to sign), so a
rejected signature always becomes :class:`~registry_api.exceptions.SignatureRejected` with the stable
reason codes of ``kz_eds``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from kz_eds import (
    DevPki,
    EdsError,
    TrustStore,
    VerificationPolicy,
    load_signer,
    parse_kz_certificate,
    sign_cms,
    verify_cms,
)
from kz_eds import Signer as KzSigner
from registry_api.core.config import Settings
from registry_api.exceptions import ConfigurationError, SignatureRejected

Purpose = Literal["signing", "authentication"]


@dataclass(frozen=True, slots=True)
class Signer:
    """Who signed, as their certificate names them."""

    iin: str | None
    bin: str | None
    common_name: str | None
    algorithm: str
    roles: tuple[str, ...]
    purpose: str


@dataclass(frozen=True, slots=True)
class Expectation:
    """Whose signature is expected: an individual's IIN, or a legal entity's BIN signed with authority."""

    purpose: Purpose
    iin: str | None = None
    bin: str | None = None
    right_to_sign: bool = False


class SignatureVerifier(Protocol):
    def verify(self, cms: bytes, *, data: bytes, now: dt.datetime, expect: Expectation) -> Signer:
        """Return the signer of a valid detached ``cms`` over ``data``; raise SignatureRejected otherwise."""
        ...


class DocumentSigner(Protocol):
    @property
    def signer(self) -> Signer:
        """The head (or deputy) whose key signs results."""
        ...

    def sign(self, data: bytes, *, signing_time: dt.datetime) -> bytes:
        """Return a detached CMS signature over ``data``."""
        ...


class KzEdsVerifier:
    """:class:`SignatureVerifier` over ``kz_eds.verify_cms`` with the service's trust store."""

    def __init__(self, trust: TrustStore, *, accept_test_pki_identifiers: bool = False) -> None:
        self.trust = trust
        self.accept_test_pki_identifiers = accept_test_pki_identifiers

    def verify(self, cms: bytes, *, data: bytes, now: dt.datetime, expect: Expectation) -> Signer:
        try:
            policy = VerificationPolicy(
                require_signing_purpose=expect.purpose == "signing",
                expected_iin=expect.iin,
                expected_bin=expect.bin,
                require_right_to_sign=expect.right_to_sign,
                accept_test_pki_identifiers=self.accept_test_pki_identifiers,
            )
            result = verify_cms(cms, data=data, trust=self.trust, policy=policy, now=now)
        except EdsError as exc:  # e.g. the expected IIN/BIN itself fails its check digit
            raise SignatureRejected(exc.message, code=exc.code) from exc
        if not result.valid or result.signer is None:
            reasons = result.reasons or ()
            first = reasons[0].code.value if reasons else "signature_invalid"
            text = "; ".join(r.message for r in reasons) or "the signature does not verify"
            raise SignatureRejected(f"signature rejected: {text}", code=first)
        signer = result.signer
        if signer.purpose != expect.purpose:
            raise SignatureRejected(
                f"a {expect.purpose} certificate is required, this one is for {signer.purpose}",
                code="certificate_purpose_invalid",
            )
        return Signer(
            iin=signer.iin,
            bin=signer.bin,
            common_name=signer.common_name,
            algorithm=signer.algorithm,
            roles=signer.roles,
            purpose=signer.purpose,
        )


class KzEdsDocumentSigner:
    """:class:`DocumentSigner` with a ``kz_eds`` key (the head's PKCS#12 in dev and tests)."""

    def __init__(self, key: KzSigner) -> None:
        self._key = key
        profile = parse_kz_certificate(key.certificate)
        self._signer = Signer(
            iin=profile.iin,
            bin=profile.bin,
            common_name=profile.common_name,
            algorithm=key.algorithm,
            roles=profile.roles,
            purpose=profile.purpose,
        )

    @property
    def signer(self) -> Signer:
        return self._signer

    def sign(self, data: bytes, *, signing_time: dt.datetime) -> bytes:
        return sign_cms(data, self._key, signing_time=signing_time, detached=True)


def build_ports(settings: Settings) -> tuple[KzEdsVerifier, KzEdsDocumentSigner | None]:
    """The verifier from the configured trust files and the head's signer from its key file.

    In dev/test, ``dev_pki_dir`` (made by ``permitchain pki init``) supplies both: every algorithm's
    roots, intermediates and CRLs, and the regulator head's RSA key.
    """
    try:
        if settings.dev_pki_dir is not None:
            pki = DevPki.load(settings.dev_pki_dir)
            algorithms = pki.manifest.get("algorithms")
            trust = pki.trust_store(algorithms=list(algorithms) if isinstance(algorithms, dict) else ())
            head_ident = pki.identity("RSA-SHA256", "regulator_head")
            head: KzEdsDocumentSigner | None = KzEdsDocumentSigner(
                load_signer(pki.path(head_ident["p12"]), None, pki.password)
            )
        else:
            if not settings.trust_roots:
                raise ConfigurationError(
                    "REGISTRY_TRUST_ROOTS must name at least one trusted root certificate "
                    "(or, in dev, REGISTRY_DEV_PKI_DIR a kz_eds dev PKI folder)"
                )
            trust = TrustStore.from_files(
                settings.trust_roots, intermediates=settings.trust_intermediates, crls=settings.trust_crls
            )
            head = None
            if settings.head_key_file is not None:
                secret = settings.head_key_password
                head = KzEdsDocumentSigner(
                    load_signer(settings.head_key_file, None, secret.get_secret_value() if secret else None)
                )
    except EdsError as exc:
        raise ConfigurationError(f"EDS configuration: {exc.message}") from exc
    verifier = KzEdsVerifier(trust, accept_test_pki_identifiers=not settings.strict_iin_checksum)
    return verifier, head
