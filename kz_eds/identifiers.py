"""IIN and BIN: 12-digit Kazakh identifiers sharing one check-digit rule.

The verifier needs strict validation for applicants (a typo must not pass as "signed by this BIN")
and the development PKI needs to *make* valid numbers, so both directions live here. The NCA test
PKI issues numbers that fail the check digit (e.g. ``123456789011``); that is handled by the
verification policy (``accept_test_pki_identifiers``), not by weakening these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from kz_eds.exceptions import IdentifierError

IDENTIFIER_LENGTH: Final = 12
_FIRST_WEIGHTS: Final = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS: Final = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CHECK_MODULUS: Final = 11
_UNUSABLE: Final = 10

# digit 7 of an IIN: century of birth and sex (odd = male)
_IIN_CENTURY: Final[dict[str, int]] = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
# digit 5 of a BIN: resident legal entity, non-resident, joint individual entrepreneurship
_BIN_TYPES: Final = frozenset("456")
# digit 6 of a BIN: head office, branch, representative office, peasant farm
_BIN_UNITS: Final = frozenset("0123")


def check_digit(first_eleven: str) -> int | None:
    """Return the 12th digit for ``first_eleven``, or ``None`` when the number can never be issued."""
    if len(first_eleven) != IDENTIFIER_LENGTH - 1 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise IdentifierError(f"expected 11 digits, got {first_eleven!r}")
    digits = [int(c) for c in first_eleven]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        value = sum(d * w for d, w in zip(digits, weights, strict=True)) % _CHECK_MODULUS
        if value != _UNUSABLE:
            return value
    return None


def _digits(value: str, what: str) -> str:
    text = value.strip()
    if len(text) != IDENTIFIER_LENGTH or not text.isascii() or not text.isdigit():
        raise IdentifierError(f"{what} must be exactly 12 digits, got {value!r}")
    return text


def has_valid_check_digit(value: str) -> bool:
    """Whether ``value`` is 12 digits whose last digit matches the checksum (no date/type checks)."""
    text = value.strip()
    if len(text) != IDENTIFIER_LENGTH or not text.isascii() or not text.isdigit():
        return False
    expected = check_digit(text[:11])
    return expected is not None and expected == int(text[11])


def _require_check_digit(text: str, what: str) -> None:
    expected = check_digit(text[:11])
    if expected is None:
        raise IdentifierError(f"{what} {text} can never be issued: its checksum is 10 under both weight sets")
    if expected != int(text[11]):
        raise IdentifierError(f"{what} {text} has a wrong check digit: expected {expected}, got {text[11]}")


def iin_birth_date(iin: str) -> dt.date:
    """The date of birth encoded in an IIN (digits 1-6 and the century of digit 7)."""
    text = _digits(iin, "IIN")
    century = _IIN_CENTURY.get(text[6])
    if century is None:
        raise IdentifierError(f"IIN {text}: digit 7 must be 1-6 (century and sex), got {text[6]}")
    try:
        return dt.date(century + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise IdentifierError(f"IIN {text}: digits 1-6 are not a date of birth (YYMMDD)") from exc


def validate_iin(value: str) -> str:
    """Return the IIN as 12 digits, or raise :class:`IdentifierError` saying what is wrong."""
    text = _digits(value, "IIN")
    iin_birth_date(text)
    _require_check_digit(text, "IIN")
    return text


def validate_bin(value: str) -> str:
    """Return the BIN as 12 digits, or raise :class:`IdentifierError` saying what is wrong."""
    text = _digits(value, "BIN")
    month = int(text[2:4])
    if not 1 <= month <= 12:
        raise IdentifierError(f"BIN {text}: digits 3-4 must be the month of registration, got {text[2:4]}")
    if text[4] not in _BIN_TYPES:
        raise IdentifierError(f"BIN {text}: digit 5 must be 4, 5 or 6 (kind of entity), got {text[4]}")
    if text[5] not in _BIN_UNITS:
        raise IdentifierError(f"BIN {text}: digit 6 must be 0-3 (head office, branch, ...), got {text[5]}")
    _require_check_digit(text, "BIN")
    return text


def is_valid_iin(value: str) -> bool:
    try:
        validate_iin(value)
    except IdentifierError:
        return False
    return True


def is_valid_bin(value: str) -> bool:
    try:
        validate_bin(value)
    except IdentifierError:
        return False
    return True


def make_iin(birth: dt.date, *, male: bool, serial: int) -> str:
    """Build a valid IIN (for the development PKI); ``serial`` is tried upwards until one is issuable."""
    if not 1800 <= birth.year <= 2099:
        raise IdentifierError(f"IIN birth year out of range: {birth.year}")
    century_digit = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (0 if male else 1)
    head = f"{birth:%y%m%d}{century_digit}"
    return _complete(head, serial, width=4)


def make_bin(registered: dt.date, *, entity_type: int = 4, unit: int = 0, serial: int) -> str:
    """Build a valid BIN (for the development PKI); ``serial`` is tried upwards until one is issuable."""
    if str(entity_type) not in _BIN_TYPES or str(unit) not in _BIN_UNITS:
        raise IdentifierError("BIN entity type must be 4-6 and unit 0-3")
    head = f"{registered:%y%m}{entity_type}{unit}"
    return _complete(head, serial, width=5)


def _complete(head: str, serial: int, *, width: int) -> str:
    limit = 10**width
    for candidate in range(serial, serial + limit):
        body = f"{head}{candidate % limit:0{width}d}"
        digit = check_digit(body)
        if digit is not None:
            return f"{body}{digit}"
    raise IdentifierError(f"no issuable identifier starts with {head}")  # pragma: no cover - unreachable
