import datetime as dt

import pytest

from kz_eds.exceptions import IdentifierError
from kz_eds.identifiers import (
    check_digit,
    has_valid_check_digit,
    iin_birth_date,
    is_valid_bin,
    is_valid_iin,
    make_bin,
    make_iin,
    validate_bin,
    validate_iin,
)


@pytest.mark.parametrize("value", ["940140000385", "990140004654"])
def test_published_bins_are_valid(value):
    assert validate_bin(value) == value
    assert is_valid_bin(value)


def test_published_iin_is_valid_and_carries_its_birth_date():
    assert validate_iin(" 921029350851 ") == "921029350851"
    assert iin_birth_date("921029350851") == dt.date(1992, 10, 29)


def test_check_digit_uses_second_weights_when_first_gives_ten():
    # find a body whose first-pass sum is 10 and check the second pass decides
    for n in range(100000):
        body = f"9210293{n:04d}"
        first = sum(int(c) * w for c, w in zip(body, range(1, 12), strict=True)) % 11
        if first == 10:
            second = (
                sum(int(c) * w for c, w in zip(body, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
            )
            assert check_digit(body) == (None if second == 10 else second)
            break
    else:
        pytest.fail("no body with first-pass checksum 10 found")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("921029350852", "wrong check digit: expected 1"),
        ("92102935085", "exactly 12 digits"),
        ("92102935085a", "exactly 12 digits"),
        ("921329350851", "not a date of birth"),
        ("921029050851", "digit 7 must be 1-6"),
        ("123456789011", "IIN"),
    ],
)
def test_bad_iins_say_what_is_wrong(value, fragment):
    with pytest.raises(IdentifierError, match=fragment) as info:
        validate_iin(value)
    assert info.value.code == "kz_identifier_invalid"
    assert not is_valid_iin(value)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("940140000386", "wrong check digit"),
        ("941340000385", "month"),
        ("940170000385", "digit 5"),
        ("940145000385", "digit 6"),
    ],
)
def test_bad_bins_say_what_is_wrong(value, fragment):
    with pytest.raises(IdentifierError, match=fragment):
        validate_bin(value)


def test_nca_test_pki_identifier_fails_the_check_digit():
    assert not has_valid_check_digit("123456789011")
    assert has_valid_check_digit("940140000385")


def test_generated_identifiers_validate():
    for serial in range(0, 500, 7):
        iin = make_iin(dt.date(1990, 1, 31), male=serial % 2 == 0, serial=serial)
        assert validate_iin(iin) == iin
        assert iin_birth_date(iin) == dt.date(1990, 1, 31)
        assert iin[6] == ("3" if serial % 2 == 0 else "4")
        bin_ = make_bin(dt.date(2021, 11, 1), serial=serial)
        assert validate_bin(bin_) == bin_
        assert bin_.startswith("21114")
