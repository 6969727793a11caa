"""What the caller requires of a signature beyond "it verifies": purpose, identity and authority."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kz_eds.exceptions import EdsConfigError
from kz_eds.identifiers import validate_bin, validate_iin

DEFAULT_MAX_INPUT_BYTES = 8 * 1024 * 1024
# Streebog-512 in pure Python hashes ~0.2 MiB/s, so GOST-signed content gets its own, lower cap to
# keep one request from holding a worker for minutes (see scripts/bench/eds_verify.py).
DEFAULT_MAX_GOST_CONTENT_BYTES = 1024 * 1024
DEFAULT_MAX_CHAIN_DEPTH = 5


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    """Requirements a valid signature must meet.

    ``require_right_to_sign`` means: a legal entity's document must be signed by its first head or
    by a person with the right-to-sign role whose certificate carries that entity's BIN (the BIN
    is ``expected_bin`` when given). ``accept_test_pki_identifiers`` lets IIN/BIN values of the NCA
    test PKI (which fail the check digit) through; never enable it for production.
    """

    require_signing_purpose: bool = True
    expected_iin: str | None = None
    expected_bin: str | None = None
    require_right_to_sign: bool = False
    allow_signing_time_without_tsp: bool = True
    accept_test_pki_identifiers: bool = False
    require_revocation_check: bool = True
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_gost_content_bytes: int = DEFAULT_MAX_GOST_CONTENT_BYTES
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.max_input_bytes <= 0 or self.max_gost_content_bytes <= 0:
            raise EdsConfigError("size limits must be positive")
        if not 1 <= self.max_chain_depth <= 16:
            raise EdsConfigError("max_chain_depth must be between 1 and 16")
        if not self.accept_test_pki_identifiers:
            if self.expected_iin is not None:
                validate_iin(self.expected_iin)
            if self.expected_bin is not None:
                validate_bin(self.expected_bin)
