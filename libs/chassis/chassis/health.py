"""The health check every service answers over RPC."""

from nameko.rpc import rpc

from chassis.logs import CorrelationLogging


class ServiceBase:
    """What every service has: correlation-aware logs and ``health()``.

    Subclasses define ``name`` and a ``UnitOfWork`` as ``uow``.
    """

    logging = CorrelationLogging()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok", "database": self.uow.ping()}
