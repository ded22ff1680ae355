"""Order conversations under ``/api/v1``: messages, files, read state, staff tagging.

The chat service enforces who takes part on its own projection of each order (another
organisation's order is a 404 there). Uploaded files go to the blob store here, vetted and
cleaned by it (size, type sniffed from the bytes, images without EXIF), and only their keys
travel to the chat service, which records them; downloads pass the chat service's access check.
"""

import io

from flask import current_app, g, jsonify, request, send_file
from marshmallow import ValidationError

from chassis.blobs import BlobNotFound, BlobRejected, blob_store
from contracts.attachments import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from contracts.errors import InvalidRequest, NotFound
from gateway import idempotency
from gateway.auth import authenticate
from gateway.blueprint import Blueprint
from gateway.chat_schemas import (
    AttachmentSchema,
    ConversationSchema,
    EditMessageSchema,
    MarkReadSchema,
    MessagePageSchema,
    MessageQuerySchema,
    MessageSchema,
    PostMessageSchema,
    TagSchema,
    UnreadCountsSchema,
    UnreadQuerySchema,
)
from gateway.openapi import documented
from gateway.rpc import command, services

MAX_FILES_PER_MESSAGE = 10
FORM_SLACK_BYTES = 64 * 1024  # the text and the multipart boundaries around the files

blp = Blueprint(
    "chat", __name__, url_prefix="/api/v1", description="Order conversations and their files"
)
blp.before_request(authenticate)
idempotency.apply_to(blp)

CONVERSATION_PARAMETER = {
    "in": "path",
    "name": "conversation",
    "required": True,
    "schema": {"type": "string", "enum": ["order", "support", "support-buyer", "support-supplier"]},
    "description": "order: buyer and supplier. support: your own conversation with the platform's "
    "staff (staff name it support-buyer or support-supplier).",
}
POST_MESSAGE_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": PostMessageSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "body": {"type": "string"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
            }
        },
    },
}


@blp.route("/orders/<order_id>/conversations")
@blp.response(200, ConversationSchema(many=True))
@blp.doc(operationId="listConversations")
@documented(blp, 404)
def list_conversations(order_id):
    """Your conversations of an order, with unread counts and whether you owe a reply"""
    return jsonify(services().call("chat.list_conversations", g.actor, order_id))


@blp.route("/orders/<order_id>/messages")
@blp.arguments(MessageQuerySchema, location="query")
@blp.response(200, MessagePageSchema)
@blp.doc(operationId="searchOrderMessages")
@documented(blp, 404)
def search_messages(query, order_id):
    """Every message you can read about an order, newest first; ``q`` searches their text"""
    return jsonify(services().call("chat.list_messages", g.actor, order_id, None, query))


@blp.route(
    "/orders/<order_id>/conversations/<conversation>/messages", parameters=[CONVERSATION_PARAMETER]
)
@blp.arguments(MessageQuerySchema, location="query")
@blp.response(200, MessagePageSchema)
@blp.doc(operationId="listMessages")
@documented(blp, 404)
def list_messages(query, order_id, conversation):
    """A page of a conversation's messages, newest first"""
    return jsonify(services().call("chat.list_messages", g.actor, order_id, conversation, query))


@blp.route(
    "/orders/<order_id>/conversations/<conversation>/messages",
    methods=["POST"],
    parameters=[CONVERSATION_PARAMETER],
)
@blp.doc(operationId="postMessage", requestBody=POST_MESSAGE_BODY)
@blp.response(201, MessageSchema)
@documented(blp, 403, 404)
def post_message(order_id, conversation):
    """Write in a conversation, with files if you like

    A message (or a file name) that carries contact details (an e-mail address, a phone
    number, a link, a handle on another app) is refused with 422, saying what was found, and
    nothing is stored. Platform staff are exempt.
    """
    multipart = request.mimetype == "multipart/form-data"
    if multipart:  # files may be larger than the gateway's usual body limit
        request.max_content_length = MAX_FILES_PER_MESSAGE * MAX_ATTACHMENT_BYTES + FORM_SLACK_BYTES
    # A JSON body that is not an object (a string, a list) is refused by the schema, not by dict().
    body = request.form.to_dict() if multipart else request.get_json(silent=True)
    try:
        message = PostMessageSchema().load({} if body is None else body)
    except ValidationError as error:
        raise InvalidRequest("The message is invalid", {"errors": error.messages}) from None
    uploads = request.files.getlist("files")
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise InvalidRequest(
            f"Attach at most {MAX_FILES_PER_MESSAGE} files to a message",
            {"errors": {"files": [f"{len(uploads)} files"]}},
        )
    attachments = [_store_upload(upload) for upload in uploads]
    return jsonify(
        command("chat.post_message", g.actor, order_id, conversation, message["body"], attachments)
    ), 201


@blp.route("/messages/<message_id>", methods=["PATCH"])
@blp.arguments(EditMessageSchema)
@blp.response(200, MessageSchema)
@blp.doc(operationId="editMessage")
@documented(blp, 404)
def edit_message(edit, message_id):
    """Change the text of your message; its earlier texts stay in its history"""
    return jsonify(command("chat.edit_message", g.actor, message_id, edit["body"]))


@blp.route("/messages/<message_id>/history")
@blp.response(200, MessageSchema)
@blp.doc(operationId="getMessageHistory")
@documented(blp, 404)
def message_history(message_id):
    """A message with every text it had (``revisions``, oldest first)"""
    return jsonify(services().call("chat.message_history", g.actor, message_id))


@blp.route(
    "/orders/<order_id>/conversations/<conversation>/read",
    methods=["POST"],
    parameters=[CONVERSATION_PARAMETER],
)
@blp.arguments(MarkReadSchema, required=False)
@blp.response(200, UnreadCountsSchema)
@blp.doc(operationId="markConversationRead")
@documented(blp, 404)
def mark_read(marks, order_id, conversation):
    """Mark a conversation read (up to a message); answers the order's unread count"""
    return jsonify(
        command("chat.mark_read", g.actor, order_id, conversation, (marks or {}).get("up_to"))
    )


@blp.route(
    "/orders/<order_id>/conversations/<conversation>/tags",
    methods=["POST"],
    parameters=[CONVERSATION_PARAMETER],
)
@blp.arguments(TagSchema)
@blp.response(200, {"type": "array", "items": {"type": "string"}})
@blp.doc(operationId="tagStaff")
@documented(blp, 403, 404)
def tag(tagged, order_id, conversation):
    """Tag a member of the platform's staff into a conversation; answers who is tagged"""
    return jsonify(
        command("chat.tag", g.actor, order_id, conversation, tagged["user_id"], tagged["role"])
    )


@blp.route("/unread")
@blp.arguments(UnreadQuerySchema, location="query")
@blp.response(200, UnreadCountsSchema)
@blp.doc(operationId="countUnreadMessages")
@documented(blp)
def unread_counts(query):
    """Unread messages per order and in total: the red badges on order cards"""
    return jsonify(services().call("chat.unread_counts", g.actor, query.get("order_id")))


@blp.route("/orders/<order_id>/attachments")
@blp.response(200, AttachmentSchema(many=True))
@blp.doc(operationId="listAttachments")
@documented(blp, 404)
def list_attachments(order_id):
    """Every file in your conversations of an order (the Attachments tab)"""
    return jsonify(services().call("chat.list_attachments", g.actor, order_id))


@blp.route("/attachments/<attachment_id>/content")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
@blp.doc(operationId="downloadAttachment")
@documented(blp, 404)
def download(attachment_id):
    """The file itself"""
    found = services().call("chat.get_attachment", g.actor, attachment_id)
    return _send(found["blob_key"], found["content_type"], found["name"])


@blp.route("/attachments/<attachment_id>/thumbnail")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="image/png")
@blp.doc(operationId="getAttachmentThumbnail")
@documented(blp, 404)
def thumbnail(attachment_id):
    """A small PNG preview of an image"""
    found = services().call("chat.get_attachment", g.actor, attachment_id)
    if not found.get("thumbnail_key"):
        raise NotFound(f"Attachment {attachment_id} has no thumbnail")
    return _send(found["thumbnail_key"], "image/png", f"{found['name']}.png", inline=True)


def _blobs():
    extensions = current_app.extensions
    if "blobs" not in extensions:
        extensions["blobs"] = blob_store()
    return extensions["blobs"]


def _store_upload(upload) -> dict:
    data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
    name = upload.filename or ""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise _refused(name, f"it is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    try:
        blob = _blobs().put(data, name, allowed=ATTACHMENT_TYPES)
    except BlobRejected as error:
        raise _refused(name, str(error)) from None
    return {"key": blob.key, "name": name}


def _refused(name, reason):
    return InvalidRequest(
        f"The file {name or '(unnamed)'} is refused: {reason}", {"errors": {"files": [reason]}}
    )


def _send(key, content_type, name, inline=False):
    try:
        data = _blobs().get(key)
    except BlobNotFound:
        raise NotFound("The file is missing from the store") from None
    return send_file(
        io.BytesIO(data), mimetype=content_type, as_attachment=not inline, download_name=name
    )
