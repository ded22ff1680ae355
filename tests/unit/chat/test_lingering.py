"""Which of chat's notices wait for company (ADR 23): all but an order's first event, which makes
the copy of the order that its conversation needs."""

from chassis.consumer import BatchEventConsumer
from chat.notices import NOTICES
from chat.service import NOTICE_LINGER_S, ChatService


def linger_of(event_type: str) -> float:
    handler = getattr(ChatService, "on_" + event_type.replace(".", "_"))
    [entrypoint] = [e for e in handler.nameko_entrypoints if isinstance(e, BatchEventConsumer)]
    return entrypoint.linger


def test_an_orders_first_event_is_applied_at_once_and_every_other_notice_lingers():
    assert linger_of("order.placed") == 0.0
    assert {linger_of(t) for t in NOTICES if t != "order.placed"} == {NOTICE_LINGER_S}
