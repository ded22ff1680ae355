"""Events published by the chat service."""

from marshmallow import fields, validate

from contracts.contract import produced_by
from contracts.events.base import Payload


class MessagePosted(Payload):
    """A message was posted in one of an order's conversations (its text is not carried)."""

    order_id = fields.String(required=True)
    buyer_org = fields.String(required=True)
    supplier_org = fields.String(required=True)
    conversation = fields.String(
        required=True,
        validate=validate.OneOf(("order", "support-buyer", "support-supplier")),
        metadata={"description": "order: buyer and supplier; support-*: one party and staff"},
    )
    message_id = fields.String(required=True)
    author_user = fields.String(required=True)
    author_role = fields.String(required=True)
    author_org = fields.String(required=True)
    posted_at = fields.DateTime(required=True)
    attachments = fields.Integer(load_default=0, validate=validate.Range(min=0))


_chat = produced_by("chat")

CONTRACTS = [
    _chat(
        "message.posted",
        MessagePosted,
        "Someone wrote in an order's conversation (for response times, profiles, analytics).",
        ("profiles",),
    ),
]
