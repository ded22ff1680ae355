"""How the dashboard writes amounts, dates and names."""

from web.app import day, label, money, when


def test_amounts_are_minor_units_in_their_currencys_decimals():
    assert money(123456, "EUR") == "1,234.56 EUR"
    assert money(1500, "JPY") == "1,500 JPY"
    assert money(1234567, "KWD") == "1,234.567 KWD"
    assert money(5, "BHD") == "0.005 BHD"
    assert money(None, "EUR") == "—"


def test_dates_and_timestamps_read_as_days_and_utc_times():
    assert day("2031-03-14") == "14 Mar 2031"
    assert when("2026-12-03T15:40:00+01:00") == "3 Dec 2026 14:40 UTC"
    assert day(None) == "—" and when("not a date") == "—"


def test_machine_names_read_as_words():
    assert label("ready_for_delivery") == "Ready for delivery"
    assert label("support-buyer") == "Support buyer"
