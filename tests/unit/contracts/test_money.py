"""Each currency's minor units, as ISO 4217 counts them."""

from contracts.money import minor_unit_digits


def test_most_currencies_have_two_decimals_some_three_some_none():
    assert [minor_unit_digits(c) for c in ("EUR", "USD", "KWD", "BHD", "JOD", "JPY", "KRW")] == [
        2,
        2,
        3,
        3,
        3,
        0,
        0,
    ]
    assert minor_unit_digits(None) == 2
