"""The one exception root of ``kz_eds``.

A bad *signature* is never an exception: :func:`kz_eds.verify_cms` returns reasons for it. These
errors are for caller mistakes and unusable inputs of the caller's own making (a trust root that is
not a certificate, a key file that cannot be opened, an IIN that a form field promised to be valid),
so the CLI and the registry service can turn them into a clear message with a stable ``code``.
"""

from __future__ import annotations

from permitchain.errors import PermitChainError


class EdsError(PermitChainError):
    """Root of every error raised by ``kz_eds``."""

    code = "eds_error"


class EdsConfigError(EdsError):
    """The trust store, policy or signer configuration is unusable (missing file, not a certificate)."""

    code = "eds_config_invalid"


class KeyLoadError(EdsError):
    """A private key container could not be opened (wrong password, unknown format, no certificate)."""

    code = "eds_key_invalid"


class IdentifierError(EdsError):
    """An IIN or BIN is malformed or fails its check digit."""

    code = "kz_identifier_invalid"


class CertificateParseError(EdsError):
    """Bytes handed to :func:`kz_eds.parse_kz_certificate` are not an X.509 certificate."""

    code = "eds_certificate_invalid"


class SigningError(EdsError):
    """A signature could not be produced (unsupported key, bad input)."""

    code = "eds_signing_failed"


class TimestampError(EdsError):
    """A time-stamp request could not be served by the development TSA."""

    code = "eds_timestamp_failed"


class FetchError(EdsError):
    """A CRL or OCSP fetcher could not deliver (network, size limit); verification reports it as a reason."""

    code = "eds_fetch_failed"
