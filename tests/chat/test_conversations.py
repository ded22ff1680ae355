"""Conversations of an order: who talks, who reads, what is refused, what is counted."""

import pytest

from chat.models import messages, metadata
from contracts.errors import Forbidden, InvalidRequest, NotFound
from support.chat import (
    ADMIN,
    BUYER,
    BUYER_COLLEAGUE,
    OUTSIDER,
    OUTSIDER_ADMIN,
    SUPPLIER,
    SUPPORT,
)
from support.services import count, rpc

outbox = metadata.tables["outbox"]


def test_buyer_and_supplier_talk_and_unread_counts_move_as_each_reads(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        chat_rpc = cluster.chat
        first = chat_rpc.post_message(
            BUYER, order_id, "order", "Can you hold ±0.05 mm on the bore?"
        )
        assert first["conversation"] == "order" and first["author_user"] == "alice"

        assert chat_rpc.unread_counts(SUPPLIER) == {"total": 1, "orders": {order_id: 1}}
        assert chat_rpc.unread_counts(BUYER)["total"] == 0  # the author has read their own
        assert chat_rpc.unread_counts(BUYER_COLLEAGUE)["total"] == 1  # read state is per person
        [order_conversation, support] = chat_rpc.list_conversations(SUPPLIER, order_id)
        assert order_conversation["awaiting_reply"] and order_conversation["unread"] == 1
        assert support["name"] == "support-supplier" and support["unread"] == 0

        chat_rpc.post_message(SUPPLIER, order_id, "order", "Yes, Ra 1.6 too. Ships 2026-05-14.")
        page = chat_rpc.list_messages(SUPPLIER, order_id, "order", {})
        assert [m["author_user"] for m in page["items"]] == ["sam", "alice"]  # newest first
        assert chat_rpc.unread_counts(SUPPLIER)["total"] == 0

        assert chat_rpc.unread_counts(BUYER)["orders"] == {order_id: 1}
        assert chat_rpc.mark_read(BUYER, order_id, "order") == {
            "total": 0,
            "orders": {order_id: 0},
        }
        [mine, _] = chat_rpc.list_conversations(BUYER, order_id)
        assert mine["awaiting_reply"]  # the supplier wrote last: alice owes the answer
        chat_rpc.post_message(BUYER, order_id, "order", "Great, thanks")
        [mine, _] = chat_rpc.list_conversations(BUYER, order_id)
        assert not mine["awaiting_reply"]
    assert count(chat_config["DATABASE_URL"], outbox, outbox.c.event_type == "message.posted") == 3


def test_a_message_with_contact_details_is_refused_and_changes_nothing(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        with pytest.raises(InvalidRequest) as refused:
            cluster.chat.post_message(
                SUPPLIER, order_id, "order", "Quicker: maria dot lopez at gmail dot com"
            )
        assert "maria.lopez@gmail.com" in str(refused.value)
        assert refused.value.details["contact_details"] == [
            {"field": "body", "kind": "email", "found": "maria.lopez@gmail.com"}
        ]
        assert cluster.chat.unread_counts(BUYER)["total"] == 0
        # staff are exempt: they may send the platform's own addresses
        cluster.chat.post_message(SUPPORT, order_id, "support-buyer", "Write to help@platform.io")
    assert count(chat_config["DATABASE_URL"], messages) == 1


def test_another_organisation_sees_nothing(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        cluster.chat.post_message(BUYER, order_id, "order", "Hello")
        for call in (
            lambda: cluster.chat.list_messages(OUTSIDER, order_id, "order", {}),
            lambda: cluster.chat.post_message(OUTSIDER, order_id, "order", "Hi"),
            lambda: cluster.chat.list_conversations(OUTSIDER, order_id),
            lambda: cluster.chat.list_messages(BUYER, order_id, "support-supplier", {}),
        ):
            with pytest.raises(NotFound):
                call()
        assert cluster.chat.unread_counts(OUTSIDER) == {"total": 0, "orders": {}}


def test_an_admin_of_a_customer_organisation_is_no_platform_staff(chat, chat_config, order_id):
    """An ``admin`` token of another organisation reads no conversation and no staff notice."""
    with rpc(chat_config) as cluster:
        cluster.chat.post_message(BUYER, order_id, "support", "Where is my order?")
        assert cluster.chat.list_notifications(SUPPORT)["items"]  # the support desk heard
        for call in (
            lambda: cluster.chat.list_conversations(OUTSIDER_ADMIN, order_id),
            lambda: cluster.chat.list_messages(OUTSIDER_ADMIN, order_id, "support-buyer", {}),
            lambda: cluster.chat.post_message(OUTSIDER_ADMIN, order_id, "order", "Hi"),
        ):
            with pytest.raises(NotFound):
                call()
        assert cluster.chat.list_notifications(OUTSIDER_ADMIN)["items"] == []
        assert cluster.chat.unread_counts(OUTSIDER_ADMIN) == {"total": 0, "orders": {}}


def test_support_is_tagged_in_and_answers(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        chat_rpc = cluster.chat
        chat_rpc.post_message(SUPPLIER, order_id, "order", "The buyer wants to halt production")
        with pytest.raises(Forbidden):
            chat_rpc.post_message(SUPPORT, order_id, "order", "Looking into it")
        assert chat_rpc.list_messages(SUPPORT, order_id, "order", {})["items"]  # staff oversee

        assert chat_rpc.tag(SUPPLIER, order_id, "order", "sue", "support") == ["sue"]
        assert chat_rpc.unread_counts(SUPPORT) == {"total": 1, "orders": {order_id: 1}}
        chat_rpc.post_message(SUPPORT, order_id, "order", "Dates can move: update the estimate")
        assert chat_rpc.unread_counts(BUYER)["total"] == 2
        assert chat_rpc.unread_counts(SUPPORT)["total"] == 0

        # "Message Support": a party's own conversation with staff; the other party sees none
        chat_rpc.post_message(SUPPLIER, order_id, "support", "Can we extend by a week?")
        names = [c["name"] for c in chat_rpc.list_conversations(BUYER, order_id)]
        assert names == ["order", "support-buyer"]
        feed = chat_rpc.list_notifications(ADMIN, {})["items"]
        assert any(item["event_type"] == "message.posted" for item in feed)  # the desk hears


def test_edits_keep_the_history_and_search_finds_messages(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        chat_rpc = cluster.chat
        message = chat_rpc.post_message(BUYER, order_id, "order", "Please anodize black")
        chat_rpc.post_message(BUYER, order_id, "order", "And deburr every edge")
        edited = chat_rpc.edit_message(BUYER, message["id"], "Please anodize clear")
        assert edited["body"] == "Please anodize clear" and edited["edited"]
        assert [r["body"] for r in edited["revisions"]] == ["Please anodize black"]
        with pytest.raises(NotFound):
            chat_rpc.edit_message(SUPPLIER, message["id"], "Not mine")
        with pytest.raises(InvalidRequest):
            chat_rpc.edit_message(BUYER, message["id"], "call 415 555 0132")

        found = chat_rpc.list_messages(SUPPLIER, order_id, None, {"q": "ANODIZE"})["items"]
        assert [m["body"] for m in found] == ["Please anodize clear"]


def test_messages_are_paginated_newest_first(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        for n in range(5):
            cluster.chat.post_message(BUYER, order_id, "order", f"Update {n}")
        first = cluster.chat.list_messages(SUPPLIER, order_id, "order", {"limit": 2})
        second = cluster.chat.list_messages(
            SUPPLIER, order_id, "order", {"limit": 2, "before": first["next_cursor"]}
        )
        last = cluster.chat.list_messages(
            SUPPLIER, order_id, "order", {"limit": 2, "before": second["next_cursor"]}
        )
    bodies = [m["body"] for page in (first, second, last) for m in page["items"]]
    assert bodies == [f"Update {n}" for n in (4, 3, 2, 1, 0)]
    assert last["next_cursor"] is None


def test_a_repeated_command_posts_one_message(chat, chat_config, order_id):
    with rpc(chat_config) as cluster:
        first = cluster.chat.post_message(BUYER, order_id, "order", "Hello", command_id="key-1")
        again = cluster.chat.post_message(BUYER, order_id, "order", "Hello", command_id="key-1")
        assert again == first
        assert cluster.chat.unread_counts(SUPPLIER)["total"] == 1
    assert count(chat_config["DATABASE_URL"], messages) == 1
