"""The chat service on a real broker and PostgreSQL, fed with order events as the orders
service publishes them."""

import uuid

import pytest
from nameko.testing.services import entrypoint_waiter

from chat.service import ChatService
from support.chat import placed
from support.events import publish


@pytest.fixture
def chat_config(service_config):
    return service_config("chat", MARKETPLACE_REGIONS="US,GB", WEBHOOK_INTERVAL_S=0.05)


@pytest.fixture
def chat(container_factory, chat_config, declared_topology):
    container = container_factory(ChatService, chat_config)
    container.start()
    return container


@pytest.fixture
def deliver(chat, chat_config):
    """``deliver(event_type, data, producer)``: publish an event and wait until chat handled it."""

    def deliver(event_type, data, producer="orders", envelope=None):
        handler = "on_" + event_type.replace(".", "_")
        with entrypoint_waiter(chat, handler):
            return publish(chat_config["AMQP_URI"], event_type, data, producer, envelope=envelope)

    return deliver


@pytest.fixture
def order_id(deliver):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    deliver("order.placed", placed(order_id))
    return order_id
