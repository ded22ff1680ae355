"""A service's RPC replies reach the caller without the worker waiting for a broker confirm."""

from nameko import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from chassis.health import ServiceBase
from chassis.unit_of_work import UnitOfWork
from fulfillment.models import metadata


class Answering(ServiceBase):
    name = "answering"
    uow = UnitOfWork(metadata)


def test_replies_are_published_without_a_confirm_and_still_arrive(
    container_factory, service_config
):
    assert rpc.Responder.publisher_cls(amqp_uri="memory://").use_confirms is False
    config = service_config("fulfillment")
    container_factory(Answering, config).start()
    with ClusterRpcProxy(config, timeout=10) as cluster:
        assert [cluster.answering.health()["status"] for _ in range(20)] == ["ok"] * 20
