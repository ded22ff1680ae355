import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

# Nameko, kombu and psycopg2 must all run on green threads: patch before anything imports them.
eventlet.monkey_patch()

import pytest
from kombu import Connection

from chassis import topology
from support.databases import Databases, migrated_databases, truncate_all

# Short backoff and relay steps keep the reliability tests quick; the behaviour is the same.
FAST_RETRIES_MS = "50,100,150"


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """One fresh, migrated PostgreSQL database per component, created on first use."""
    yield from migrated_databases(Databases("postgresql", tmp_path_factory.mktemp("db")))


@pytest.fixture
def service_config(rabbit_config, databases):
    """Config for a service container: the test's own vhost and an emptied database."""

    def config_for(service: str, **overrides) -> dict:
        url = databases(service)
        truncate_all(url)
        return {
            **rabbit_config,
            "DATABASE_URL": url,
            "max_workers": 4,
            "EVENT_RETRY_DELAYS_MS": FAST_RETRIES_MS,
            "OUTBOX_RELAY_INTERVAL_S": 0.1,
            "OUTBOX_GRACE_S": 0.2,
            **overrides,
        }

    return config_for


@pytest.fixture
def declared_topology(rabbit_config):
    """The whole topology in the test's vhost, as ``python -m chassis.topology`` declares it."""
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        return topology.declare(
            connection, topology.retry_delays_ms({"EVENT_RETRY_DELAYS_MS": FAST_RETRIES_MS})
        )
