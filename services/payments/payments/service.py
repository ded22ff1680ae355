"""The payments service: it starts, owns its database and answers its health check."""

from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from payments.models import metadata


class PaymentsService(ServiceBase):
    name = "payments"
    uow = UnitOfWork(metadata)
