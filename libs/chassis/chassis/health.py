"""The health check every service answers over RPC."""

from nameko.rpc import rpc

from chassis import replies
from chassis.logs import CorrelationLogging
from chassis.unit_of_work import Transactions


class ServiceBase:
    """What every service has: correlation-aware logs and ``health()``.

    Subclasses define ``name`` and a ``UnitOfWork`` as ``uow``.
    """

    name: str
    uow: Transactions
    logging = CorrelationLogging()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Replies need no broker confirm: a lost reply is the caller's timeout, and its retry
        # (same command id) is answered from the command record.
        replies.install()

    @rpc
    def health(self) -> dict[str, str]:
        return {"service": self.name, "status": "ok", "database": self.uow.ping()}
