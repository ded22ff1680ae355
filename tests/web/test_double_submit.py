"""A form drawn once and submitted twice (a double click, a resent POST) has one effect."""

import re

import requests

from e2e.conftest import token
from support.orders import MANUFACTURING_ORDER


def compose_form(session, url):
    """The hidden fields of the messages tab's compose form, as the page drew them."""
    page = session.get(url, timeout=15)
    assert page.status_code == 200, page.text
    form = page.text[page.text.index('class="stack compose"') :]
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', form).group(1)
        for name in ("csrf_token", "idempotency_key", "conversation")
    }


def test_the_same_message_form_posted_twice_sends_one_message(system, market):
    m = market("web-double")
    order = m.place(MANUFACTURING_ORDER)
    session = requests.Session()
    session.cookies.set("mp_token", token("alice", "buyer", m.buyer.org))
    tab = f"{system.web_url}/orders/{order['id']}?tab=messages"
    post = f"{system.web_url}/orders/{order['id']}/messages"

    drawn = compose_form(session, tab)
    for _ in range(2):
        sent = session.post(post, data={**drawn, "body": "Ready by Friday?"}, timeout=15)
        assert sent.status_code == 200, sent.text
    messages = m.buyer.get(f"/orders/{order['id']}/messages").json()["items"]
    assert [message["body"] for message in messages] == ["Ready by Friday?"]

    # The same words from a form drawn anew are a new message: the key, not the text, decides.
    again = compose_form(session, tab)
    assert again["idempotency_key"] != drawn["idempotency_key"]
    session.post(post, data={**again, "body": "Ready by Friday?"}, timeout=15)
    messages = m.buyer.get(f"/orders/{order['id']}/messages").json()["items"]
    assert [message["body"] for message in messages] == ["Ready by Friday?"] * 2
