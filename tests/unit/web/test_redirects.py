"""Where the dashboard sends a browser after signing in or reading a notification."""

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
