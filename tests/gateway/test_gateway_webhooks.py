"""Webhook endpoints at the gateway: only an organisation's admin (or a platform admin) manages
them, and platform support may read them (docs/adr/0010); others get a 403 problem and the chat
service is never called."""

import pytest

ENDPOINT = {"url": "https://hooks.example.com/in", "event_types": ["order.placed"]}


class WebhookChat:
    def health(self):
        return {"status": "ok"}

    def list_webhooks(self, actor):
        return []

    def subscribe_webhook(self, actor, request, command_id=None):
        return {"id": "wh-1", "org": actor["org"], **request, "enabled": True}

    def delete_webhook(self, actor, endpoint_id, command_id=None):
        return None


@pytest.fixture
def chat(cluster):
    cluster.services["chat"] = WebhookChat()
    return cluster


MEMBER_CALLS = [
    ("get", "/api/v1/webhooks", None),
    ("post", "/api/v1/webhooks", ENDPOINT),
    ("patch", "/api/v1/webhooks/wh-1", {"enabled": False}),
    ("delete", "/api/v1/webhooks/wh-1", None),
    ("post", "/api/v1/webhooks/wh-1/rotate-secret", None),
    ("get", "/api/v1/webhooks/wh-1/deliveries", None),
    ("post", "/api/v1/webhooks/wh-1/deliveries/m-1/redeliver", None),
]


@pytest.mark.parametrize("role", ["buyer", "supplier"])
@pytest.mark.parametrize(("method", "path", "body"), MEMBER_CALLS)
def test_buyers_and_suppliers_get_a_403_problem(client, chat, bearer, role, method, path, body):
    response = getattr(client, method)(path, json=body, headers=bearer(role, "forge"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "admin" in response.get_json()["detail"]
    assert not [call for call in chat.calls if call[0] == "chat"]


def test_platform_support_reads_but_does_not_change(client, chat, bearer):
    staff = bearer("support", "platform")
    assert client.get("/api/v1/webhooks", headers=staff).status_code == 200
    refused = client.post("/api/v1/webhooks", json=ENDPOINT, headers=staff)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_an_organisation_admin_subscribes_and_removes(client, chat, bearer):
    admin = bearer("admin", "forge")
    created = client.post("/api/v1/webhooks", json=ENDPOINT, headers=admin)
    assert created.status_code == 201 and created.get_json()["org"] == "forge"
    assert client.delete("/api/v1/webhooks/wh-1", headers=admin).status_code == 204
    assert [call[1] for call in chat.calls if call[0] == "chat"] == [
        "subscribe_webhook",
        "delete_webhook",
    ]
