"""Time as a dependency, so that deadlines can be tested without sleeping."""

from collections.abc import Callable
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock(DependencyProvider):
    """``self.clock()`` is the current UTC time; tests swap in a clock they move by hand."""

    def get_dependency(self, worker_ctx: object) -> Callable[[], datetime]:
        return utc_now
