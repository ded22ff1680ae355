"""Time as a dependency, so that deadlines can be tested without sleeping."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A time read back from the database, aware: SQLite, the embedded default, hands
    ``DateTime(timezone=True)`` columns back without their offset, and every time we store is
    UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def row_as_utc(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row read back from the database with every time in it aware (``as_utc``)."""
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row.items()}


class Clock(DependencyProvider):
    """``self.clock()`` is the current UTC time; tests swap in a clock they move by hand."""

    def get_dependency(self, worker_ctx: object) -> Callable[[], datetime]:
        return utc_now
