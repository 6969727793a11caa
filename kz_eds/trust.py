"""What the verifier trusts: root certificates, known intermediates, CRLs and OCSP responders.

NCA endpoints (crl.pki.gov.kz, ocsp.pki.gov.kz) are configuration, never code: a deployment lists
its CRL URLs and responders, and a :class:`Fetcher` does the HTTP. Tests inject a fetcher that
answers from files or from an in-process responder, so revocation is tested without a network.
Fetched CRLs are cached until their ``nextUpdate`` (or ``crl_max_age``), whichever is first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509

from kz_eds.certificates import fingerprint, load_certificate_file, load_certificates, load_crl
from kz_eds.exceptions import CertificateParseError, EdsConfigError, FetchError

MAX_FETCH_BYTES: Final = 32 * 1024 * 1024
_ALLOWED_SCHEMES: Final = ("http://", "https://")


class Fetcher(Protocol):
    """GET ``url`` (or POST ``body`` as ``content_type``); raise :class:`FetchError` on failure."""

    def __call__(self, url: str, *, body: bytes | None = None, content_type: str | None = None) -> bytes: ...


class HttpFetcher:
    """The production fetcher: httpx with a timeout and a response size cap (NCA serves plain HTTP)."""

    def __init__(self, *, timeout: float = 10.0, max_bytes: int = MAX_FETCH_BYTES) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes

    def __call__(self, url: str, *, body: bytes | None = None, content_type: str | None = None) -> bytes:
        import httpx  # noqa: PLC0415 - only deployments that fetch need it loaded

        if not url.startswith(_ALLOWED_SCHEMES):
            raise FetchError(f"refusing to fetch {url!r}: only http(s) URLs are allowed")
        headers = {"Content-Type": content_type} if content_type else {}
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
                method = "POST" if body is not None else "GET"
                with client.stream(method, url, content=body, headers=headers) as response:
                    if response.status_code != 200:
                        raise FetchError(f"{url} answered HTTP {response.status_code}")
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > self._max_bytes:
                            raise FetchError(f"{url} sent more than {self._max_bytes} bytes")
                        chunks.append(chunk)
                    return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class OcspResponder:
    """An OCSP responder for the certificates of one issuing CA (``issuer``).

    The response must be signed by the CA itself, by ``responder_certificate`` (trusted as
    configured), or by a certificate the CA issued with the OCSPSigning extended key usage.
    """

    url: str
    issuer: x509.Certificate
    responder_certificate: x509.Certificate | None = None

    def __post_init__(self) -> None:
        if not self.url.startswith(_ALLOWED_SCHEMES):
            raise EdsConfigError(f"OCSP responder URL must be http(s): {self.url!r}")


@dataclass(slots=True)
class _CachedCrl:
    crl: asn1_crl.CertificateList
    fetched_at: dt.datetime


class TrustStore:
    """Trusted roots (RSA and GOST), intermediates, CRLs (static or by URL) and OCSP responders."""

    def __init__(
        self,
        *,
        roots: Sequence[x509.Certificate],
        intermediates: Sequence[x509.Certificate] = (),
        crls: Sequence[asn1_crl.CertificateList] = (),
        crl_urls: Sequence[str] = (),
        ocsp_responders: Sequence[OcspResponder] = (),
        fetcher: Fetcher | None = None,
        crl_max_age: dt.timedelta = dt.timedelta(hours=12),
    ) -> None:
        if not roots:
            raise EdsConfigError("a trust store needs at least one trusted root certificate")
        for url in crl_urls:
            if not url.startswith(_ALLOWED_SCHEMES):
                raise EdsConfigError(f"CRL URL must be http(s): {url!r}")
        if (crl_urls or ocsp_responders) and fetcher is None:
            raise EdsConfigError("CRL URLs and OCSP responders need a fetcher")
        self.roots: tuple[x509.Certificate, ...] = tuple(roots)
        self.intermediates: tuple[x509.Certificate, ...] = tuple(intermediates)
        self._root_prints = frozenset(fingerprint(c) for c in self.roots)
        self._static_crls: tuple[asn1_crl.CertificateList, ...] = tuple(crls)
        self.crl_urls: tuple[str, ...] = tuple(crl_urls)
        self.ocsp_responders: tuple[OcspResponder, ...] = tuple(ocsp_responders)
        self.fetcher = fetcher
        self.crl_max_age = crl_max_age
        self._cache: dict[str, _CachedCrl] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_files(
        cls,
        roots: Iterable[Path],
        *,
        intermediates: Iterable[Path] = (),
        crls: Iterable[Path] = (),
        crl_urls: Sequence[str] = (),
        ocsp_responders: Sequence[OcspResponder] = (),
        fetcher: Fetcher | None = None,
    ) -> TrustStore:
        """Load roots/intermediates (PEM bundles or DER files) and CRLs (PEM or DER) from disk."""
        return cls(
            roots=[c for path in roots for c in _read_bundle(path)],
            intermediates=[c for path in intermediates for c in _read_bundle(path)],
            crls=[_read_crl(path) for path in crls],
            crl_urls=crl_urls,
            ocsp_responders=ocsp_responders,
            fetcher=fetcher,
        )

    def is_trusted_root(self, cert: x509.Certificate) -> bool:
        return fingerprint(cert) in self._root_prints

    def responder_for(self, issuer: x509.Certificate) -> OcspResponder | None:
        target = fingerprint(issuer)
        for responder in self.ocsp_responders:
            if fingerprint(responder.issuer) == target:
                return responder
        return None

    def crls(self, *, now: dt.datetime) -> tuple[list[asn1_crl.CertificateList], list[str]]:
        """Every CRL known now (static and fetched) and the problems met while fetching."""
        found = list(self._static_crls)
        problems: list[str] = []
        for url in self.crl_urls:
            try:
                found.append(self._fetch_crl(url, now=now))
            except (FetchError, EdsConfigError) as exc:
                problems.append(f"CRL {url}: {exc.message}")
        return found, problems

    def _fetch_crl(self, url: str, *, now: dt.datetime) -> asn1_crl.CertificateList:
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and not self._expired(cached, now):
                return cached.crl
        if self.fetcher is None:  # pragma: no cover - the constructor refuses this combination
            raise FetchError("no fetcher configured")
        try:
            raw = self.fetcher(url)
        except (OSError, ValueError) as exc:  # a fetcher outside our contract: report, do not crash
            raise FetchError(f"cannot fetch {url}: {exc}") from exc
        crl = load_crl(raw)
        with self._lock:
            self._cache[url] = _CachedCrl(crl, now)
        return crl

    def _expired(self, cached: _CachedCrl, now: dt.datetime) -> bool:
        next_update = cached.crl["tbs_cert_list"]["next_update"].native
        if next_update is not None and now >= next_update:
            return True
        return now - cached.fetched_at >= self.crl_max_age


def _read_bundle(path: Path) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EdsConfigError(f"cannot read {path}: {exc.strerror}") from exc
    if not data.lstrip().startswith(b"-----"):
        return [load_certificate_file(path)]
    try:
        return load_certificates(data)
    except CertificateParseError as exc:
        raise EdsConfigError(f"{path}: {exc.message}") from exc


def _read_crl(path: Path) -> asn1_crl.CertificateList:
    try:
        return load_crl(path.read_bytes())
    except OSError as exc:
        raise EdsConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except EdsConfigError as exc:
        raise EdsConfigError(f"{path}: {exc.message}") from exc
