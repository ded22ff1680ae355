"""Where the dashboard sends a browser after signing in or out, or reading a notification."""

import pytest

from web.app import create_app
from web.auth import safe_next
from web.settings import load_settings

SETTINGS = load_settings({"WEB_SECRET_KEY": "k" * 32})


@pytest.fixture
def app_context():
    with create_app(SETTINGS).test_request_context():
        yield


@pytest.mark.parametrize(
    "target",
    [
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "/\n/evil.com",
        "//evil.com",
        "https://evil.com/",
        "javascript:alert(1)",
        "evil.com",
        "",
        None,
    ],
)
def test_anything_but_a_plain_local_path_falls_back(app_context, target):
    assert safe_next(target, "/fallback") == "/fallback"


def test_a_local_path_with_its_query_is_kept(app_context):
    assert safe_next("/orders/42?tab=lines", "/fallback") == "/orders/42?tab=lines"


def test_signing_out_forgets_the_session_and_the_token():
    app = create_app(SETTINGS)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    with client.session_transaction() as session:
        session["left_behind"] = "by the last person"
    client.set_cookie("mp_token", "a-token")
    response = client.post("/sign-out")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "left_behind" not in session
    assert client.get_cookie("mp_token") is None
