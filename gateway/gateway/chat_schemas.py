"""Request and response bodies of the chat, notification and webhook endpoints."""

from marshmallow import Schema, fields, validate

from gateway.schemas import PassThroughSchema

MAX_BODY_CHARS = 5000
STAFF_ROLES = ("admin", "support")


class PostMessageSchema(Schema):
    """Send as JSON, or as multipart/form-data with ``body`` and one ``files`` part per file
    (images, PDF, office documents; up to 20 MB each)."""

    body = fields.String(load_default="", validate=validate.Length(max=MAX_BODY_CHARS))


class EditMessageSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_BODY_CHARS))


class MessageQuerySchema(Schema):
    before = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "next_cursor of the previous page"}
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "search"})


class MarkReadSchema(Schema):
    up_to = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "seq of the last message read; the newest when absent"},
    )


class TagSchema(Schema):
    user_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class UnreadQuerySchema(Schema):
    order_id = fields.List(
        fields.String(validate=validate.Length(min=1, max=128)),
        validate=validate.Length(max=200),
        metadata={"description": "repeat for each order card; absent: every order"},
    )


class AttachmentSchema(PassThroughSchema):
    id = fields.String()
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    has_thumbnail = fields.Boolean()


class MessageSchema(PassThroughSchema):
    id = fields.String()
    seq = fields.Integer()
    conversation = fields.String(metadata={"example": "order"})
    author_user = fields.String()
    author_role = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    edited = fields.Boolean()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class MessagePageSchema(PassThroughSchema):
    items = fields.List(fields.Nested(MessageSchema))
    next_cursor = fields.String(allow_none=True)


class ConversationSchema(PassThroughSchema):
    name = fields.String(metadata={"example": "support-supplier"})
    unread = fields.Integer()
    awaiting_reply = fields.Boolean()
    may_write = fields.Boolean()
    staff = fields.List(fields.String(), metadata={"description": "staff tagged in"})
    last_message = fields.Nested(MessageSchema, allow_none=True)


class UnreadCountsSchema(PassThroughSchema):
    total = fields.Integer()
    orders = fields.Dict(keys=fields.String(), values=fields.Integer())


class NotificationQuerySchema(Schema):
    before = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    unread_only = fields.Boolean()
    order_id = fields.String(validate=validate.Length(min=1, max=128))


class NotificationSchema(PassThroughSchema):
    id = fields.Integer()
    event_type = fields.String(metadata={"example": "order.placed"})
    order_id = fields.String(allow_none=True)
    title = fields.String()
    link = fields.String(metadata={"example": "/api/v1/orders/ord-1"})
    created_at = fields.DateTime()
    read = fields.Boolean()


class NotificationPageSchema(PassThroughSchema):
    items = fields.List(fields.Nested(NotificationSchema))
    next_cursor = fields.String(allow_none=True)


class UnreadSchema(PassThroughSchema):
    unread = fields.Integer()


class PreferencesSchema(Schema):
    email = fields.Email(allow_none=True, load_default=None)
    email_events = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        metadata={"description": 'event types to receive by e-mail; ["*"] for all'},
    )
    choosable_events = fields.List(fields.String(), dump_only=True)


class WebhookRequestSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    event_types = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    org = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "platform admins only: whose orders (absent: all)"},
    )


class WebhookChangeSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=2000))
    event_types = fields.List(fields.String(), validate=validate.Length(min=1))
    enabled = fields.Boolean()


class WebhookSchema(PassThroughSchema):
    id = fields.String()
    org = fields.String(allow_none=True)
    url = fields.String()
    event_types = fields.List(fields.String())
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    secret = fields.String(metadata={"description": "whsec_…; shown on creation and rotation"})


class DeliveryQuerySchema(Schema):
    before = fields.Integer(validate=validate.Range(min=1))
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    status = fields.String(validate=validate.OneOf(("pending", "delivered", "failed")))


class DeliveryPageSchema(PassThroughSchema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)
