"""The health check every service answers over RPC."""

from nameko.rpc import rpc

import chassis.replies  # noqa: F401  (every service answers RPC without waiting for a confirm)
from chassis.logs import CorrelationLogging
from chassis.unit_of_work import Transactions


class ServiceBase:
    """What every service has: correlation-aware logs and ``health()``.

    Subclasses define ``name`` and a ``UnitOfWork`` as ``uow``.
    """

    name: str
    uow: Transactions
    logging = CorrelationLogging()

    @rpc
    def health(self) -> dict[str, str]:
        return {"service": self.name, "status": "ok", "database": self.uow.ping()}
