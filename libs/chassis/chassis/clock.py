"""Time as a dependency, so that deadlines can be tested without sleeping."""
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Clock(DependencyProvider):
    """``self.clock()`` is the current UTC time; tests swap in a clock they move by hand."""

    def get_dependency(self, worker_ctx):
        return utc_now
