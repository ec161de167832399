"""Kazakh identification numbers: IIN (individuals) and BIN (legal entities).

Both are 12 digits ending in a check digit computed with two weight passes (LAW.md). Each
failed rule has its own message and code, so a form, the admin and the API can say which one.
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FIRST_PASS_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_PASS_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# Digit 7 of an IIN: century of birth (and sex). 0 appears on valid records such as those of
# foreign nationals, where the century is not encoded.
IIN_CENTURIES = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


class NumberKind(StrEnum):
    IIN = "iin"
    BIN = "bin"


class BinType(StrEnum):
    RESIDENT_LEGAL_ENTITY = "4"
    NON_RESIDENT_LEGAL_ENTITY = "5"
    JOINT_INDIVIDUAL_ENTREPRENEUR = "6"


BIN_ATTRIBUTES = {"0", "1", "2", "3"}


@dataclass(frozen=True)
class ParsedNumber:
    number: str
    kind: NumberKind
    # BIN: registration year and month; IIN: date of birth (None when the century is not encoded).
    date: datetime.date | None
    bin_type: BinType | None = None


def check_digit(digits: str) -> int | None:
    """The expected 12th digit for 11 digits, or None when no check digit is possible."""
    values = [int(d) for d in digits[:11]]
    for weights in (FIRST_PASS_WEIGHTS, SECOND_PASS_WEIGHTS):
        remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _check_shape(number: str) -> None:
    if not number.isascii() or not number.isdigit():
        raise ValidationError(
            _("An identification number contains digits only."), code="not_digits"
        )
    if len(number) != 12:
        raise ValidationError(
            _("An identification number has exactly 12 digits; this one has %(length)d."),
            code="wrong_length",
            params={"length": len(number)},
        )


def _check_control(number: str) -> None:
    expected = check_digit(number)
    if expected is None:
        raise ValidationError(
            _("This identification number cannot carry a valid check digit."),
            code="no_check_digit",
        )
    if expected != int(number[11]):
        raise ValidationError(
            _("The check digit (the last digit) does not match; check the number for typos."),
            code="wrong_check_digit",
        )


def _iin_birth_date(number: str) -> datetime.date | None:
    century_digit = number[6]
    if century_digit != "0" and century_digit not in IIN_CENTURIES:
        raise ValidationError(
            _("The 7th digit of an IIN (century and sex) must be 0 to 6."),
            code="bad_century_digit",
        )
    yy, mm, dd = int(number[0:2]), int(number[2:4]), int(number[4:6])
    # With century 0 only month and day can be checked; a leap year admits 29 February.
    year = IIN_CENTURIES.get(century_digit, 2000) + yy
    try:
        born = datetime.date(year, mm, dd)
    except ValueError:
        raise ValidationError(
            _("The first six digits of an IIN must be a real date of birth (YYMMDD)."),
            code="impossible_date",
        ) from None
    return born if century_digit != "0" else None


def _bin_registration_month(number: str) -> datetime.date:
    month = int(number[2:4])
    if not 1 <= month <= 12:
        raise ValidationError(
            _("Digits 3 and 4 of a BIN are the month of registration and must be 01 to 12."),
            code="impossible_date",
        )
    yy = int(number[0:2])
    # BINs exist since the 1990s, so a two-digit year after the current one is from the 1900s.
    year = 2000 + yy if 2000 + yy <= datetime.date.today().year else 1900 + yy
    return datetime.date(year, month, 1)


def _bin_type(number: str) -> BinType:
    try:
        bin_type = BinType(number[4])
    except ValueError:
        raise ValidationError(
            _(
                "The 5th digit of a BIN (type of entity) must be 4 (resident legal entity), "
                "5 (non-resident legal entity) or 6 (joint individual entrepreneurship)."
            ),
            code="bad_type_digit",
        ) from None
    if number[5] not in BIN_ATTRIBUTES:
        raise ValidationError(
            _(
                "The 6th digit of a BIN (attribute) must be 0 (head office), 1 (branch), "
                "2 (representative office) or 3 (peasant farm)."
            ),
            code="bad_attribute_digit",
        )
    return bin_type


def parse_iin(number: str) -> ParsedNumber:
    _check_shape(number)
    born = _iin_birth_date(number)
    _check_control(number)
    return ParsedNumber(number=number, kind=NumberKind.IIN, date=born)


def parse_bin(number: str) -> ParsedNumber:
    _check_shape(number)
    registered = _bin_registration_month(number)
    bin_type = _bin_type(number)
    _check_control(number)
    return ParsedNumber(number=number, kind=NumberKind.BIN, date=registered, bin_type=bin_type)


def parse_identification_number(number: str) -> ParsedNumber:
    """Parse a number that may be either kind.

    The 5th digit tells them apart: in an IIN it is the tens of the day of birth (0-3), in a
    BIN the type of entity (4-6).
    """
    _check_shape(number)
    if number[4] in {t.value for t in BinType}:
        return parse_bin(number)
    return parse_iin(number)


def validate_iin(number: str) -> None:
    parse_iin(number)


def validate_bin(number: str) -> None:
    parse_bin(number)


def validate_identification_number(number: str) -> None:
    parse_identification_number(number)


def validate_issuer_identification(kind: str, number: str) -> ParsedNumber:
    """An issuer must be a Kazakh legal entity (resident BIN) or individual entrepreneur.

    ``kind`` is ``legal_entity`` or ``individual_entrepreneur`` (Organisation.Kind).
    """
    parsed = parse_bin(number) if kind == "legal_entity" else parse_identification_number(number)
    if parsed.bin_type == BinType.NON_RESIDENT_LEGAL_ENTITY:
        raise ValidationError(
            _(
                "This BIN belongs to a non-resident (foreign) legal entity. Only Kazakh legal "
                "entities and individual entrepreneurs may issue backed digital assets."
            ),
            code="foreign_issuer",
        )
    if kind == "legal_entity" and parsed.bin_type != BinType.RESIDENT_LEGAL_ENTITY:
        raise ValidationError(
            _("This BIN belongs to an individual entrepreneur; choose that kind of issuer."),
            code="kind_mismatch",
        )
    if kind != "legal_entity" and parsed.bin_type == BinType.RESIDENT_LEGAL_ENTITY:
        raise ValidationError(
            _("This BIN belongs to a legal entity; choose that kind of issuer."),
            code="kind_mismatch",
        )
    return parsed
