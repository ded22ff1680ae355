"""Business-day arithmetic for deadlines and windows counted in workdays.

A business day is a weekday (Monday to Friday, by its UTC date) that is not a holiday. A duration
of N business days is N × 24 hours of business-day time: hours that fall on weekends and holidays
do not count. So 5 business days from Friday 10:00 end on the next Friday at 10:00 (or later when
a holiday falls in between), and 5 business days from Saturday 10:00 end at the following Saturday
00:00, because the clock only starts running on Monday.

Holidays are configuration: the service builds one ``Calendar`` from its config and passes it to
the domain functions.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_iso(cls, days: Iterable[str]) -> "Calendar":
        """A calendar whose holidays are given as ISO dates ("2026-12-25")."""
        return cls(frozenset(date.fromisoformat(day.strip()) for day in days if day.strip()))

    @classmethod
    def from_config(cls, value: str | Iterable[object] | None) -> "Calendar":
        """A calendar from a service's ``HOLIDAYS`` setting: comma-separated ISO dates, or a list
        of them (YAML may have read them as dates already)."""
        days = value.split(",") if isinstance(value, str) else (value or ())
        return cls.from_iso(str(day) for day in days)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` business days after ``start`` (before it, when ``days`` < 0).

        Forward, it is the earliest moment by which ``days`` × 24 business hours have passed;
        backward, the latest moment from which that many business hours remain until ``start``.
        """
        moment = as_utc(start)
        if days >= 0:
            return self._forward(moment, days * DAY)
        return self._backward(moment, -days * DAY)

    def _forward(self, moment: datetime, remaining: timedelta) -> datetime:
        while remaining:
            day_end = _midnight(moment) + DAY
            if self.is_business_day(moment.date()):
                if remaining <= day_end - moment:
                    return moment + remaining
                remaining -= day_end - moment
            moment = day_end
        return moment

    def _backward(self, moment: datetime, remaining: timedelta) -> datetime:
        while remaining:
            # At midnight exactly, the hours just before `moment` belong to the previous day.
            day_start = _midnight(moment - _TICK)
            if self.is_business_day(day_start.date()):
                if remaining <= moment - day_start:
                    return moment - remaining
                remaining -= moment - day_start
            moment = day_start
        return moment


def add_business_days(
    start: datetime, days: int, holidays: Iterable[date] = frozenset()
) -> datetime:
    """``Calendar(holidays).add_business_days(start, days)``."""
    return Calendar(frozenset(holidays)).add_business_days(start, days)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused because its meaning is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no timezone; pass an aware UTC datetime")
    return moment.astimezone(UTC)


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
