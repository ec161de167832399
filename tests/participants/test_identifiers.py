"""BIN/IIN rules of LAW.md: valid numbers pass, each corrupted variant names its rule."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from qoima.participants.identifiers import (
    BinType,
    NumberKind,
    check_digit,
    parse_bin,
    parse_identification_number,
    parse_iin,
    validate_issuer_identification,
)

VALID_BINS = ["940140000385", "950341000052"]
VALID_IIN = "791028302728"
# First weight pass gives 10, so the check digit comes from the second pass.
IIN_SECOND_PASS = "850615395746"
# Both passes give 10: no check digit can make this number valid.
IIN_NO_CHECK_DIGIT = "850615344260"


def with_check_digit(first_eleven: str) -> str:
    digit = check_digit(first_eleven)
    assert digit is not None
    return first_eleven + str(digit)


@pytest.mark.parametrize("number", VALID_BINS)
def test_published_bins_are_valid(number):
    parsed = parse_bin(number)
    assert parsed.kind == NumberKind.BIN
    assert parsed.bin_type == BinType.RESIDENT_LEGAL_ENTITY
    assert parse_identification_number(number) == parsed


def test_bin_registration_month_is_read():
    assert parse_bin("940140000385").date == datetime.date(1994, 1, 1)


def test_published_iin_is_valid_with_its_birth_date():
    parsed = parse_iin(VALID_IIN)
    assert parsed.kind == NumberKind.IIN
    assert parsed.date == datetime.date(1979, 10, 28)
    assert parse_identification_number(VALID_IIN) == parsed


def test_second_weight_pass_is_used_when_the_first_gives_ten():
    assert parse_iin(IIN_SECOND_PASS).date == datetime.date(1985, 6, 15)


def test_number_whose_both_passes_give_ten_is_invalid():
    with pytest.raises(ValidationError) as error:
        parse_iin(IIN_NO_CHECK_DIGIT)
    assert error.value.code == "no_check_digit"


CORRUPTED = [
    # (parser, number, code, words the message must contain)
    (parse_bin, "940140000386", "wrong_check_digit", "check digit"),
    (parse_iin, "791028302729", "wrong_check_digit", "check digit"),
    (parse_bin, "94014000038", "wrong_length", "12 digits"),
    (parse_iin, "7910283027281", "wrong_length", "12 digits"),
    (parse_bin, "", "not_digits", "digits only"),
    (parse_bin, "94014000038A", "not_digits", "digits only"),
    (parse_iin, "79102830272О", "not_digits", "digits only"),  # Cyrillic О
    (parse_iin, "７９１０２８３０２７２８", "not_digits", "digits only"),  # full-width digits
    (parse_bin, with_check_digit("94017000038"), "bad_type_digit", "5th digit"),
    (parse_bin, with_check_digit("94014900038"), "bad_attribute_digit", "6th digit"),
    (parse_bin, with_check_digit("94134000038"), "impossible_date", "month"),
    (parse_iin, with_check_digit("79132830272"), "impossible_date", "date of birth"),
    (parse_iin, with_check_digit("79023030272"), "impossible_date", "date of birth"),
    (parse_iin, with_check_digit("79102870272"), "bad_century_digit", "7th digit"),
]


@pytest.mark.parametrize(("parse", "number", "code", "words"), CORRUPTED)
def test_corrupted_numbers_name_the_rule_they_break(parse, number, code, words):
    with pytest.raises(ValidationError) as error:
        parse(number)
    assert error.value.code == code
    assert words in " ".join(error.value.messages)


def test_iin_with_century_digit_zero_checks_month_and_day_only():
    assert parse_iin(with_check_digit("00022900272")).date is None
    with pytest.raises(ValidationError) as error:
        parse_iin(with_check_digit("00023000272"))
    assert error.value.code == "impossible_date"


def test_issuer_must_be_kazakh():
    foreign = with_check_digit("05015000123")
    assert parse_bin(foreign).bin_type == BinType.NON_RESIDENT_LEGAL_ENTITY
    for kind in ("legal_entity", "individual_entrepreneur"):
        with pytest.raises(ValidationError) as error:
            validate_issuer_identification(kind, foreign)
        assert error.value.code == "foreign_issuer"


def test_issuer_kind_must_match_the_number():
    with pytest.raises(ValidationError) as error:
        validate_issuer_identification("legal_entity", VALID_IIN)
    assert error.value.code == "bad_type_digit"
    with pytest.raises(ValidationError) as error:
        validate_issuer_identification("individual_entrepreneur", VALID_BINS[0])
    assert error.value.code == "kind_mismatch"
    joint_ie = with_check_digit("10016000123")
    assert validate_issuer_identification("individual_entrepreneur", joint_ie).kind == "bin"
    assert validate_issuer_identification("individual_entrepreneur", VALID_IIN).kind == "iin"
