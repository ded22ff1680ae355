"""Values from the browser stay single segments of the API paths the dashboard calls."""

from urllib.parse import urljoin

import pytest

from web.api import api_path


@pytest.mark.parametrize("value", ["..", ".", "../../admin", "a/../../x", "x?y=1#z", "a b%2F"])
def test_a_value_cannot_escape_its_segment(value):
    path = api_path("orders", "o-1", "conversations", value, "messages")
    resolved = urljoin("http://gateway/api/v1/", path.lstrip("/"))
    assert resolved.startswith("http://gateway/api/v1/orders/o-1/conversations/")
    assert resolved.endswith("/messages") and resolved.count("/") == 9
    assert "?" not in path and "#" not in path


def test_plain_names_read_as_they_are():
    assert (
        api_path("dead-letters", "orders.events", "replay") == "/dead-letters/orders.events/replay"
    )
    assert api_path("notifications", 7, "read") == "/notifications/7/read"
