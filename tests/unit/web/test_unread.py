"""The board's unread badges cover every card, however many, asked for in batches."""

import json

import requests
from flask import g

from web.app import create_app
from web.pages import UNREAD_BATCH, _unread
from web.settings import load_settings


class FakeChat(requests.Session):
    """Answers /unread like the gateway: one unread message on each order asked about."""

    def __init__(self):
        super().__init__()
        self.asked: list[list[str]] = []

    def request(self, method, url, params=None, **kwargs):
        ids = params["order_id"]
        self.asked.append(ids)
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"orders": dict.fromkeys(ids, 1)}).encode()
        return response


def test_every_card_gets_its_badge_past_one_batch():
    app, chat = create_app(load_settings({"WEB_SECRET_KEY": "k" * 32})), FakeChat()
    app.extensions["web.http"] = chat
    order_ids = [f"order-{n}" for n in range(UNREAD_BATCH * 2 + 5)]
    with app.test_request_context():
        g.token = "token"
        unread = _unread(order_ids)
    assert unread == dict.fromkeys(order_ids, 1)
    assert max(len(batch) for batch in chat.asked) <= UNREAD_BATCH
    assert sorted(id for batch in chat.asked for id in batch) == sorted(order_ids)
