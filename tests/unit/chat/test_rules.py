"""Who takes part in which conversation, who hears of what: the pure rules."""

import pytest

from chat import conversations as rules
from chat.notices import NOTICES, audiences_of, money, title_of
from contracts.catalogue import contract
from contracts.errors import InvalidRequest
from support.chat import ADMIN, BUYER, OUTSIDER, SUPPLIER, SUPPORT

ORDER = {"order_id": "o-1", "buyer_org": "acme", "supplier_org": "forge", "title": "Brackets"}


def conversation(name):
    return {"name": name, "buyer_org": "acme", "supplier_org": "forge", "order_id": "o-1"}


@pytest.mark.parametrize(
    ("actor", "name", "reads", "writes"),
    [
        (BUYER, "order", True, True),
        (SUPPLIER, "order", True, True),
        (BUYER, "support-buyer", True, True),
        (BUYER, "support-supplier", False, False),
        (OUTSIDER, "order", False, False),
        (SUPPORT, "order", True, False),  # until tagged in
        (SUPPORT, "support-supplier", True, True),
        (ADMIN, "support-buyer", True, True),
    ],
)
def test_who_reads_and_writes_where(actor, name, reads, writes):
    assert rules.may_read(actor, conversation(name)) is reads
    assert rules.may_write(actor, conversation(name), is_member=False) is writes


def test_tagged_staff_write_in_the_buyer_supplier_conversation():
    assert rules.may_write(SUPPORT, conversation("order"), is_member=True)


def test_support_means_the_party_own_support_conversation():
    assert rules.resolve_name(BUYER, "support") == "support-buyer"
    assert rules.resolve_name(SUPPLIER, "support") == "support-supplier"
    with pytest.raises(InvalidRequest):
        rules.resolve_name(ADMIN, "support")  # staff say which one
    with pytest.raises(InvalidRequest):
        rules.resolve_name(BUYER, "lobby")


def test_a_message_is_heard_by_the_other_side_and_never_by_its_author():
    heard = rules.message_audiences(conversation("order"), BUYER, staff_members=["sue"])
    assert [a.key for a in heard] == ["supplier:forge:", "staff::sue"]
    by_sue = rules.message_audiences(conversation("order"), SUPPORT, staff_members=["sue"])
    assert [a.key for a in by_sue] == ["buyer:acme:", "supplier:forge:"]
    desk = rules.message_audiences(conversation("support-buyer"), BUYER, staff_members=[])
    assert [a.key for a in desk] == ["staff::"]  # nobody tagged yet: the whole desk


def test_awaiting_reply_when_the_other_side_wrote_last():
    assert rules.awaiting_reply(BUYER, {"author_role": "supplier"})
    assert not rules.awaiting_reply(BUYER, {"author_role": "buyer"})
    assert rules.awaiting_reply(SUPPORT, {"author_role": "buyer"})
    assert not rules.awaiting_reply(BUYER, None)


def test_every_notice_is_an_event_chat_consumes_with_a_title_that_formats():
    for event_type, notice in NOTICES.items():
        assert "chat" in contract(event_type).consumers, event_type
        assert title_of(notice, ORDER, {}).strip(), event_type  # missing fields are blank
        assert audiences_of(notice, ORDER)


def test_money_in_titles_uses_the_currency_minor_units():
    assert money(625000, "EUR") == "EUR 6,250.00"
    assert money(1500, "JPY") == "JPY 1,500"
    assert money(1234567, "KWD") == "KWD 1,234.567"
