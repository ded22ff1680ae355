"""A clock the test moves by hand, in place of the services' real one."""

from datetime import datetime, timedelta


class FrozenClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
