"""The system as ``make run`` starts it: no database URL set, so every service and the gateway
default to SQLite files under ``DATA_DIR``; an order goes the whole way through it."""

import uuid
from pathlib import Path

import pytest

from e2e.conftest import Client, running_system
from e2e.test_slice import ORDER
from launch import component_dirs
from support.waiting import eventually


@pytest.fixture(scope="module")
def sqlite_system(request, vhost_pipeline, tmp_path_factory):
    directory = tmp_path_factory.mktemp("sqlite")

    def unset(name):
        return ""  # an empty URL is unset: the launcher gives the SQLite file default

    with running_system(request, unset, vhost_pipeline, directory) as running:
        yield running


def test_an_order_goes_through_the_system_on_its_default_sqlite_files(sqlite_system):
    buyer = Client(sqlite_system.api_url, "alice", "buyer", "acme")
    supplier = Client(sqlite_system.api_url, "sam", "supplier", "forge")

    placed = buyer.post("/orders", ORDER, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    approved = supplier.act(order_id, "approve")
    assert approved.status_code == 200, approved.text

    record = eventually(lambda: buyer.get(f"/orders/{order_id}").json()["fulfillment"])
    assert record["order_id"] == order_id and record["status"] == "open"

    # Profiles counted the approval: the times it reads back from SQLite, without their
    # offset, are compared with the events' as UTC.
    def approvals_counted():
        workflows = buyer.get("/profiles/forge").json()["supplier"]["workflows"]
        return workflows.get("manufacturing", {}).get("time_to_approve", {}).get("approved")

    assert eventually(lambda: approvals_counted() == 1)
    listed = buyer.get("/orders")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [order_id]
    data_dir = Path(sqlite_system.env["DATA_DIR"])
    assert {f"{name}.db" for name in component_dirs()} <= {p.name for p in data_dir.iterdir()}
