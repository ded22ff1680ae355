from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.calendar import Calendar, add_business_days

UTC = UTC
# March 2026: the 2nd is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, day) for day in range(2, 9))


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_weekends_and_holidays_are_not_business_days():
    calendar = Calendar(frozenset({WED}))
    assert [calendar.is_business_day(day) for day in (MON, TUE, WED, THU, FRI, SAT, SUN)] == [
        True,
        True,
        False,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (at(FRI, 10), 1, at(MON + timedelta(7), 10)),
        (at(MON, 9), 5, at(MON + timedelta(7), 9)),
        (at(MON), 5, at(SAT)),  # the earliest moment the fifth full day has passed
        (at(SAT, 10), 1, at(TUE + timedelta(7))),  # the clock only starts on Monday
        (at(TUE, 17, 30), 0, at(TUE, 17, 30)),
    ],
)
def test_adds_business_days(start, days, expected):
    assert add_business_days(start, days) == expected


def test_holidays_do_not_count():
    assert add_business_days(at(MON, 9), 5, {WED}) == at(TUE + timedelta(7), 9)


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (at(WED), -1, at(TUE)),
        (at(MON + timedelta(7)), -1, at(FRI)),
        (at(TUE, 12), -2, at(FRI - timedelta(7), 12)),
    ],
)
def test_counts_backwards(start, days, expected):
    assert add_business_days(start, days) == expected


def test_counts_backwards_over_holidays():
    assert add_business_days(at(TUE), -1, {MON}) == at(FRI - timedelta(7))


def test_answers_in_utc_whatever_the_offset():
    lagos = timezone(timedelta(hours=1))
    start = datetime(2026, 3, 6, 23, 30, tzinfo=lagos)  # Friday 22:30 UTC
    assert add_business_days(start, 1) == at(MON + timedelta(7), 22, 30)


def test_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone"):
        add_business_days(datetime(2026, 3, 2, 9), 1)


def test_reads_holidays_from_iso_dates():
    assert Calendar.from_iso(["2026-03-04", " 2026-12-25 ", ""]).holidays == {
        WED,
        date(2026, 12, 25),
    }


@pytest.mark.parametrize(
    "setting", ["2026-03-04, 2026-12-25", ["2026-03-04", "2026-12-25"], [WED, date(2026, 12, 25)]]
)
def test_reads_holidays_from_a_services_setting(setting):
    """HOLIDAYS as the environment gives it (comma-separated) or as YAML reads a list."""
    assert Calendar.from_config(setting).holidays == {WED, date(2026, 12, 25)}


@pytest.mark.parametrize("setting", [None, "", []])
def test_no_holidays_setting_is_no_holidays(setting):
    assert Calendar.from_config(setting) == Calendar()


def business_time(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Brute force: the business-day time between two moments, an hour slice at a time."""
    total, moment = timedelta(), start
    while moment < end:
        step = min(end, moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        if calendar.is_business_day(moment.date()):
            total += step - moment
        moment = step
    return total


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
holiday_sets = st.frozensets(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), max_size=20
)


@given(start=moments, days=st.integers(min_value=1, max_value=10), holidays=holiday_sets)
def test_forward_is_the_earliest_moment_with_enough_business_time(start, days, holidays):
    calendar = Calendar(holidays)
    end = calendar.add_business_days(start, days)
    assert business_time(start, end, calendar) == timedelta(days=days)
    assert business_time(start, end - timedelta(microseconds=1), calendar) < timedelta(days=days)


@given(start=moments, days=st.integers(min_value=1, max_value=10), holidays=holiday_sets)
def test_backward_is_the_latest_moment_with_enough_business_time(start, days, holidays):
    calendar = Calendar(holidays)
    begin = calendar.add_business_days(start, -days)
    assert business_time(begin, start, calendar) == timedelta(days=days)
    assert business_time(begin + timedelta(microseconds=1), start, calendar) < timedelta(days=days)
