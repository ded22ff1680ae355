import json
from pathlib import Path

from chassis.topology import DEFAULT_RETRY_DELAYS_MS, definitions

ROOT = Path(__file__).resolve().parents[2]


def test_the_broker_definitions_in_deploy_are_up_to_date():
    shipped = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    assert shipped == definitions(DEFAULT_RETRY_DELAYS_MS), (
        "deploy/rabbitmq/definitions.json is stale: run `make definitions`"
    )


def test_every_consumer_queue_has_its_retry_and_parking_queues():
    names = {queue["name"] for queue in definitions()["queues"]}
    consumers = {n for n in names if ".retry." not in n and not n.endswith(".dead")}
    assert consumers
    for queue in consumers:
        assert f"{queue}.dead" in names
        assert {f"{queue}.retry.{ms}ms" for ms in DEFAULT_RETRY_DELAYS_MS} <= names
