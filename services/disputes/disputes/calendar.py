"""Deadlines in business days: weekdays (by UTC date) that are not configured holidays.

N business days after a moment is the same time of day on the Nth business day that follows,
so a dispute opened on Friday at 10:00 with 3 days to answer is due on Wednesday at 10:00.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, value: str | Iterable[str] | None) -> "Calendar":
        days = value.split(",") if isinstance(value, str) else (value or ())
        return cls(frozenset(date.fromisoformat(str(d).strip()) for d in days if str(d).strip()))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, start: datetime, days: int) -> datetime:
        moment = start
        while days > 0:
            moment += timedelta(days=1)
            days -= self.is_business_day(moment.date())
        return moment
