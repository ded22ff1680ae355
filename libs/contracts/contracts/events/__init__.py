"""Payload schemas, grouped by the service that publishes them."""
from contracts.events import fulfillment, orders, others

ALL = [*orders.CONTRACTS, *fulfillment.CONTRACTS, *others.CONTRACTS]
