"""A form drawn once and submitted twice sends the same Idempotency-Keys: one effect."""

import re

import requests

from web.api import Api
from web.app import create_app
from web.settings import load_settings

SETTINGS = load_settings({"WEB_SECRET_KEY": "k" * 32})


class FakeGateway(requests.Session):
    """Answers like the gateway's idempotency layer: a repeated key replays, no second effect."""

    def __init__(self):
        super().__init__()
        self.answers: dict[str, int] = {}
        self.created: list[str] = []

    def request(self, method, url, headers=None, **kwargs):
        key = headers["Idempotency-Key"]
        if key not in self.answers:
            self.created.append(url)
            self.answers[key] = len(self.created)
        response = requests.Response()
        response.status_code = 201
        response._content = b'{"id": %d}' % self.answers[key]
        return response


def drawn_key(app) -> str:
    with app.test_request_context():
        html = app.jinja_env.from_string("{{ form_fields() }}").render()
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def submit(app, gateway, key, path):
    data = {"idempotency_key": key} if key else {}
    with app.test_request_context(method="POST", data=data):
        return Api("http://gateway", "token", gateway, 1).post(path, json={"note": "x"})


def test_the_same_drawn_form_posted_twice_creates_one_shipment():
    app, gateway = create_app(SETTINGS), FakeGateway()
    key = drawn_key(app)
    first = submit(app, gateway, key, "/orders/1/shipments")
    again = submit(app, gateway, key, "/orders/1/shipments")
    assert first == again and len(gateway.created) == 1


def test_each_drawn_form_and_each_call_gets_its_own_key():
    app, gateway = create_app(SETTINGS), FakeGateway()
    assert drawn_key(app) != drawn_key(app)
    key = drawn_key(app)
    submit(app, gateway, key, "/orders/1/shipments")
    submit(app, gateway, key, "/orders/1/messages")
    submit(app, gateway, drawn_key(app), "/orders/1/shipments")
    submit(app, gateway, None, "/orders/1/shipments")
    submit(app, gateway, None, "/orders/1/shipments")
    assert len(gateway.created) == 5
