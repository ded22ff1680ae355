"""List and count queries are checked against the workflows before they reach the database."""

import pytest

from contracts.errors import InvalidRequest
from orders.queries import count_query, list_query
from orders.workflow import load_workflows

WORKFLOWS = load_workflows()


@pytest.mark.parametrize(
    ("query", "wrong"),
    [
        ({"colour": "red"}, "colour"),
        ({"status": "bogus"}, "status"),
        ({"workflow": "retail", "status": "in_production"}, "status"),
        ({"workflow": "retail", "kind": "job"}, "kind"),
        ({"kind": "subscription"}, "kind"),
        ({"workflow": "shop"}, "workflow"),
        ({"group": "archived"}, "group"),
        ({"delayed": "maybe"}, "delayed"),
    ],
)
def test_an_unknown_filter_or_value_is_refused_by_name(query, wrong):
    with pytest.raises(InvalidRequest) as refused:
        list_query(query, WORKFLOWS)
    assert set(refused.value.details["errors"]) == {wrong}
    assert wrong in str(refused.value)


def test_a_count_takes_no_status_tab():
    with pytest.raises(InvalidRequest) as refused:
        count_query({"status": "pending"}, WORKFLOWS)
    assert "status" in refused.value.details["errors"]


def test_known_filters_pass_checked():
    query = {"workflow": "services", "kind": "job", "delayed": "false", "status": "delivered"}
    assert list_query(query, WORKFLOWS) == {**query, "delayed": False}
    assert count_query({"delayed": True, "q": ""}, WORKFLOWS) == {"delayed": True}
    assert list_query({"kind": "job", "group": "active"}, WORKFLOWS) == {
        "kind": "job",
        "group": "active",
    }
