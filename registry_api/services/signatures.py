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
