"""Payload schemas, grouped by the service that publishes them: one module per producer."""

from contracts.events import chat, disputes, fulfillment, orders, payments

ALL = [
    *orders.CONTRACTS,
    *fulfillment.CONTRACTS,
    *payments.CONTRACTS,
    *chat.CONTRACTS,
    *disputes.CONTRACTS,
]
