"""The chat service: order conversations, the notification feed, e-mail and outbound webhooks."""

import uuid

import filetype
from nameko.rpc import rpc

from chassis import locks, waiting
from chassis.blobs import IMAGES, BlobNotFound, Blobs
from chassis.clock import Clock
from chassis.consumer import consume_batches
from chassis.health import ServiceBase
from chassis.timers import every
from chassis.unit_of_work import UnitOfWork
from chat import conversations as rules
from chat import feed, mailer, store, webhook_log, webhooks
from chat.models import metadata, waiting_events
from chat.notices import NOTICES, audiences_of, link_to, title_of
from chat.settings import ChatSettings
from chat.thumbnails import thumbnail
from contracts.attachments import ATTACHMENT_TYPES, IMAGE_TYPES
from contracts.errors import Forbidden, InvalidRequest, NotFound

LATEST_ON_ORDER_PAGE = 5
# A notice (in the feed, by e-mail, to the webhooks) read a tenth of a second late is read on
# time; the events of a burst then share one transaction instead of each taking its own (ADR 23).
NOTICE_LINGER_S = 0.1


class ChatService(ServiceBase):
    name = "chat"
    uow = UnitOfWork(metadata)
    clock = Clock()
    settings = ChatSettings()
    blobs = Blobs()

    # --- events people hear about (one consumer per NOTICES entry, added below the class) ----

    def _apply_batch(self, events):
        now = self.clock()
        with self.uow.transaction() as tx:
            order_ids = {event.data["order_id"] for event in events}
            # Every order's lock in one call, which takes them in one order: batches of two
            # queues about the same orders never deadlock.
            locks.hold(tx.session, "order", order_ids, with_next=True)  # with their read
            known = store.orders_of(tx.session, order_ids)
            subscriptions = webhooks.Subscriptions(tx.session)
            for event in events:
                self._apply(tx, event, known, subscriptions, now)

    def _apply(self, tx, event, known, subscriptions, now):
        data = event.data
        # Only an order event carries the order (its parties and status); the others carry at
        # most its parties: one that overtook its order's first event waits for it (ADR 16).
        if {"buyer_org", "supplier_org", "status"} <= data.keys():
            order, anything_waiting = store.ensure_order(tx.session, known, data, now)
            self._notify(tx, event, order, subscriptions, now)
            if anything_waiting:
                for waited in waiting.take(tx.session, waiting_events, order["order_id"]):
                    with tx.caused_by(waited):  # should a notice ever publish
                        self._notify(tx, waited, order, subscriptions, now)
            return
        order = known.get(data["order_id"])
        if order is None:
            waiting.keep(tx.session, waiting_events, event, now)
        else:
            self._notify(tx, event, order, subscriptions, now)

    def _notify(self, tx, event, order, subscriptions, now):
        """The notice of ``event`` in the feed of whoever hears of it, and to the webhooks."""
        notice = NOTICES[event.event_type]
        feed.notify(
            tx.session,
            event.event_id,
            event.event_type,
            order["order_id"],
            audiences_of(notice, order),
            title_of(notice, order, event.data),
            link_to(order["order_id"]),
            now,
            email=self.settings.email_enabled,
        )
        webhooks.enqueue(tx.session, event, order, subscriptions, now)

    # --- conversations ------------------------------------------------------------------------

    @rpc
    def list_conversations(self, actor, order_id):
        """The actor's conversations of an order, each with its unread count and last message."""
        with self.uow.reading() as session:
            store.visible_order(session, actor, order_id)
            unread = store.unread(session, actor, [order_id], by="name")
            found = []
            for name in rules.names_for(actor):
                conversation = store.conversation(session, actor, order_id, name)
                last = store.last_message(session, conversation["id"])
                staff = store.staff_members(session, conversation["id"])
                found.append(
                    {
                        "name": name,
                        "unread": unread.get(name, 0),
                        "awaiting_reply": rules.awaiting_reply(actor, last),
                        "last_message": last,
                        "staff": staff,
                        "may_write": rules.may_write(
                            actor, conversation, actor["user_id"] in staff
                        ),
                    }
                )
        return found

    @rpc
    def order_summary(self, actor, order_id):
        """What the order page shows: unread count, awaiting reply, latest messages.

        None while chat has not heard of the order (its events are still on their way).
        """
        with self.uow.reading() as session:
            if store.order_of(session, order_id) is None:
                return None
        conversations = self.list_conversations(actor, order_id)
        latest = self.list_messages(actor, order_id, None, {"limit": LATEST_ON_ORDER_PAGE})["items"]
        return {
            "unread": sum(c["unread"] for c in conversations),
            "awaiting_reply": any(c["awaiting_reply"] for c in conversations),
            "conversations": conversations,
            "latest_messages": latest,
        }

    @rpc
    def list_messages(self, actor, order_id, conversation, query):
        """A page of messages, newest first: one conversation, or (None) all the actor's."""
        with self.uow.reading() as session:
            names = rules.names_for(actor) if conversation is None else (conversation,)
            ids = [store.conversation(session, actor, order_id, name)["id"] for name in names]
            return store.messages_page(session, ids, query or {})

    @uow.command
    def post_message(self, tx, actor, order_id, conversation, body, attachments=None):
        """Post a message; ``attachments`` are ``{key, name}`` of files already in the blob
        store (the gateway stores uploads; their bytes do not travel over RPC)."""
        attachments = list(attachments or [])
        body = rules.checked_body(body, has_attachments=bool(attachments))
        self._refuse_contact_details(
            actor,
            {
                "body": body,
                **{f"attachments[{i}].name": a.get("name") for i, a in enumerate(attachments)},
            },
        )
        files = [self._vetted_file(attachment) for attachment in attachments]
        now = self.clock()
        found = store.conversation(tx.session, actor, order_id, conversation)
        staff = store.staff_members(tx.session, found["id"])
        if not rules.may_write(actor, found, actor["user_id"] in staff):
            raise Forbidden(
                "Staff write in the buyer-supplier conversation once tagged in",
                {"conversation": found["name"]},
            )
        if rules.is_staff(actor) and store.add_member(
            tx.session, found["id"], actor["user_id"], actor["role"], actor["user_id"], now
        ):
            staff.append(actor["user_id"])
        message = store.add_message(tx.session, found, actor, body, now)
        message["attachments"] = store.add_attachments(tx.session, message, files, now)
        store.mark_read(tx.session, found["id"], actor["user_id"], message["seq"])
        self._announce(tx, found, message, staff, attachment_count=len(files))
        return self._message_out(message, found["name"])

    def _vetted_file(self, attachment: dict) -> dict:
        """The attachment's facts, from its stored bytes: type, size and a thumbnail."""
        key, name = attachment.get("key") or "", (attachment.get("name") or "").strip()
        try:
            data = self.blobs.get(key)
        except BlobNotFound:
            raise InvalidRequest(
                f"No uploaded file has the key {key!r}",
                {"errors": {"attachments": ["unknown key"]}},
            ) from None
        kind = filetype.guess(data)
        if kind is None or kind.mime not in ATTACHMENT_TYPES:
            raise InvalidRequest(
                f"{name or key} is not an image, PDF or office document",
                {"errors": {"attachments": [f"{name or key}: type not accepted"]}},
            )
        preview = None
        if kind.mime in IMAGE_TYPES:
            preview = self.blobs.put(thumbnail(data), f"{name}.png", allowed=IMAGES).key
        return {
            "blob_key": key,
            "name": (name or f"file.{ATTACHMENT_TYPES[kind.mime]}")[:255],
            "content_type": kind.mime,
            "size": len(data),
            "thumbnail_key": preview,
        }

    @rpc
    def list_attachments(self, actor, order_id):
        """Every file in the actor's conversations of the order (the Attachments tab)."""
        with self.uow.reading() as session:
            ids = [
                store.conversation(session, actor, order_id, name)["id"]
                for name in rules.names_for(actor)
            ]
            return store.attachments_in(session, ids)

    @rpc
    def get_attachment(self, actor, attachment_id):
        """An attachment's metadata and blob keys, if the actor may read its conversation."""
        with self.uow.reading() as session:
            found = store.attachment(session, attachment_id)
            if found is None:
                raise NotFound(f"Attachment {attachment_id} not found")
            store.conversation(session, actor, found["order_id"], found.pop("conversation"))
            return found

    @uow.command
    def edit_message(self, tx, actor, message_id, body):
        """Change a message's text; the earlier text is kept in its history."""
        body = rules.checked_body(body, has_attachments=False)
        self._refuse_contact_details(actor, {"body": body})
        message = store.message_for_edit(tx.session, message_id)
        if message is None or message["author_user"] != actor["user_id"]:
            raise NotFound(f"Message {message_id} not found among yours")
        store.conversation(tx.session, actor, message["order_id"], message["name"])
        if message["body"] != body:
            store.replace_body(tx.session, message, body, self.clock())
        return self._history(tx.session, actor, message_id)

    @rpc
    def message_history(self, actor, message_id):
        """A message with every earlier text it had, oldest first."""
        with self.uow.reading() as session:
            return self._history(session, actor, message_id)

    def _history(self, session, actor, message_id):
        message = store.message_for_edit(session, message_id)
        if message is None:
            raise NotFound(f"Message {message_id} not found")
        name = message.pop("name")
        store.conversation(session, actor, message["order_id"], name)
        files = store.attachments_of(session, [message_id]).get(message_id, [])
        return {
            **self._message_out({**message, "attachments": files}, name),
            "revisions": store.revisions(session, message_id),
        }

    @uow.command
    def mark_read(self, tx, actor, order_id, conversation, up_to=None):
        found = store.conversation(tx.session, actor, order_id, conversation)
        store.mark_read(tx.session, found["id"], actor["user_id"], up_to)
        return _counts(store.unread(tx.session, actor, [order_id]), [order_id])

    @uow.command
    def tag(self, tx, actor, order_id, conversation, user_id, role):
        """Tag a staff member into a conversation: they read, write and hear of it."""
        if role not in rules.STAFF_ROLES:
            raise InvalidRequest(
                "Only platform staff can be tagged in",
                {"errors": {"role": [f"must be one of {', '.join(rules.STAFF_ROLES)}"]}},
            )
        now = self.clock()
        found = store.conversation(tx.session, actor, order_id, conversation)
        staff = store.staff_members(tx.session, found["id"])
        if not rules.may_write(actor, found, actor["user_id"] in staff):
            raise Forbidden("Only those who write here may tag someone in")
        if store.add_member(tx.session, found["id"], user_id, role, actor["user_id"], now):
            feed.notify(
                tx.session,
                str(uuid.uuid4()),
                "conversation.tagged",
                order_id,
                [rules.Audience(rules.STAFF, user=user_id)],
                f"You were tagged into the {found['name']} conversation of an order",
                link_to(order_id),
                now,
                email=self.settings.email_enabled,
            )
        return store.staff_members(tx.session, found["id"])

    @rpc
    def unread_counts(self, actor, order_ids=None):
        """Unread messages per order and in total, for the red badges on order cards."""
        with self.uow.reading() as session:
            return _counts(store.unread(session, actor, order_ids), order_ids)

    def _refuse_contact_details(self, actor, texts: dict):
        if not rules.is_staff(actor):
            self.settings.contact_filter.refuse(texts)

    def _announce(self, tx, conversation, message, staff, attachment_count):
        author = {"user_id": message["author_user"], "role": message["author_role"]}
        feed.notify(
            tx.session,
            message["id"],
            "message.posted",
            conversation["order_id"],
            rules.message_audiences(conversation, author, staff),
            f"New message about an order ({conversation['name']})",
            link_to(conversation["order_id"]),
            message["created_at"],
            email=self.settings.email_enabled,
        )
        tx.publish(
            "message.posted",
            {
                "order_id": conversation["order_id"],
                "buyer_org": conversation["buyer_org"],
                "supplier_org": conversation["supplier_org"],
                "conversation": conversation["name"],
                "message_id": message["id"],
                "author_user": message["author_user"],
                "author_role": message["author_role"],
                "author_org": message["author_org"],
                "posted_at": message["created_at"].isoformat(),
                "attachments": attachment_count,
            },
        )

    @staticmethod
    def _message_out(message: dict, conversation: str) -> dict:
        out = {
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in message.items()
        }
        out.setdefault("edited_at", None)
        out.update(conversation=conversation, edited=out["edited_at"] is not None)
        out.setdefault("attachments", [])
        return out

    # --- the feed -------------------------------------------------------------------------------

    @rpc
    def list_notifications(self, actor, query=None):
        with self.uow.reading() as session:
            return feed.page(session, actor, query or {})

    @rpc
    def notification_counts(self, actor):
        with self.uow.reading() as session:
            return {"unread": feed.unread_count(session, actor)}

    @uow.command
    def mark_notification_read(self, tx, actor, notification_id):
        if not feed.mark_read(tx.session, actor, int(notification_id)):
            raise NotFound(f"Notification {notification_id} not found")
        return {"unread": feed.unread_count(tx.session, actor)}

    @uow.command
    def mark_all_notifications_read(self, tx, actor):
        feed.mark_all_read(tx.session, actor)
        return {"unread": 0}

    @rpc
    def get_preferences(self, actor):
        with self.uow.reading() as session:
            return mailer.preferences_of(session, actor)

    @uow.command
    def set_preferences(self, tx, actor, choice):
        mailer.set_preferences(tx.session, actor, choice, self.clock())
        return mailer.preferences_of(tx.session, actor)

    @every("EMAIL_INTERVAL_S", 1.0)
    def send_emails(self):
        if self.settings.email_enabled:
            mailer.send_due(self.uow, self.settings.smtp, self.clock)

    # --- outbound webhooks ----------------------------------------------------------------------

    @uow.command
    def subscribe_webhook(self, tx, actor, request):
        return webhooks.subscribe(
            tx.session, actor, request, self.clock(), self.settings.webhook_policy
        )

    @rpc
    def list_webhooks(self, actor):
        with self.uow.reading() as session:
            return webhooks.endpoints_of(session, actor)

    @uow.command
    def update_webhook(self, tx, actor, endpoint_id, changes):
        return webhooks.change(
            tx.session, actor, endpoint_id, changes, self.settings.webhook_policy
        )

    @uow.command
    def rotate_webhook_secret(self, tx, actor, endpoint_id):
        return webhooks.rotate_secret(tx.session, actor, endpoint_id)

    @uow.command
    def delete_webhook(self, tx, actor, endpoint_id):
        webhooks.remove(tx.session, actor, endpoint_id)

    @rpc
    def webhook_deliveries(self, actor, endpoint_id, query=None):
        with self.uow.reading() as session:
            return webhooks.deliveries(session, actor, endpoint_id, query or {})

    @uow.command
    def redeliver_webhook(self, tx, actor, endpoint_id, message_id):
        return webhooks.redeliver(tx.session, actor, endpoint_id, message_id, self.clock())

    @rpc
    def webhook_delivery_log(self, actor, query=None):
        """Staff: every endpoint's deliveries, newest first, with attempts and last error."""
        with self.uow.reading() as session:
            return webhook_log.deliveries(session, actor, query or {})

    @uow.command
    def redeliver_webhook_message(self, tx, actor, message_id):
        """A platform admin sends one delivery again, whichever endpoint it is for."""
        return webhook_log.redeliver(tx.session, actor, message_id, self.clock())

    @every("WEBHOOK_INTERVAL_S", 1.0)
    def deliver_webhooks(self):
        webhooks.deliver_due(self.uow, self.settings.webhook_policy, self.clock)


def _counts(per_order: dict, order_ids: list[str] | None) -> dict:
    if order_ids is not None:
        per_order = {order_id: per_order.get(order_id, 0) for order_id in order_ids}
    return {"total": sum(per_order.values()), "orders": per_order}


def _consumer(event_type: str):
    def handle(self, events):
        self._apply_batch(events)

    handle.__name__ = handle.__qualname__ = "on_" + event_type.replace(".", "_")
    # An order's first event makes the copy its conversation needs: that one waits for nothing.
    linger = 0.0 if event_type == "order.placed" else NOTICE_LINGER_S
    return consume_batches(event_type, linger=linger)(handle)


for _event_type in NOTICES:
    _handler = _consumer(_event_type)
    setattr(ChatService, _handler.__name__, _handler)
