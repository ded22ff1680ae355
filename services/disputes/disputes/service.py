"""The disputes service: it starts, owns its database and answers its health check."""

from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from disputes.models import metadata


class DisputesService(ServiceBase):
    name = "disputes"
    uow = UnitOfWork(metadata)
