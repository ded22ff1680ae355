"""Amounts travel as integer minor units; how many decimals each currency has (ISO 4217)."""

# ISO 4217 minor units, where they are not two.
MINOR_UNIT_DIGITS = {"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}
MINOR_UNIT_DIGITS.update(dict.fromkeys(("CLP", "ISK", "JPY", "KRW", "UGX", "VND", "XAF", "XOF"), 0))


def minor_unit_digits(currency: str | None) -> int:
    """How many decimals a minor-unit amount of `currency` has: 2 unless ISO 4217 says not."""
    return MINOR_UNIT_DIGITS.get(currency or "", 2)
