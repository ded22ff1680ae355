"""The chat service: it starts, owns its database and answers its health check."""

from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from chat.models import metadata


class ChatService(ServiceBase):
    name = "chat"
    uow = UnitOfWork(metadata)
