"""The health check and the backlog every service answers over RPC."""

from typing import Any

from nameko.rpc import rpc

from chassis import replies
from chassis.backlog import Held, report
from chassis.clock import Clock
from chassis.logs import CorrelationLogging
from chassis.unit_of_work import Transactions


class ServiceBase:
    """What every service has: correlation-aware logs, ``health()`` and ``backlog()``.

    Subclasses define ``name`` and a ``UnitOfWork`` as ``uow``, and in ``own_backlog()`` what
    they keep waiting besides the chassis's own tables (``chassis.backlog``).
    """

    name: str
    uow: Transactions
    logging = CorrelationLogging()
    clock = Clock()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Replies need no broker confirm: a lost reply is the caller's timeout, and its retry
        # (same command id) is answered from the command record.
        replies.install()

    @rpc
    def health(self) -> dict[str, str]:
        return {"service": self.name, "status": "ok", "database": self.uow.ping()}

    @rpc
    def backlog(self) -> dict[str, dict[str, Any]]:
        """What this service holds that is not done yet: per kind, how many and since when."""
        with self.uow.reading() as session:
            return report(session, self.uow.held + self.own_backlog(), self.clock())

    def own_backlog(self) -> tuple[Held, ...]:
        """What this service keeps waiting besides the chassis's tables: none unless it says."""
        return ()
