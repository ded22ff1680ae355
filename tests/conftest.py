import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet

# Nameko, kombu and psycopg2 must all run on green threads: patch before anything imports them.
eventlet.monkey_patch()

import os
import uuid

import pytest
from kombu import Connection
from sqlalchemy import text

from chassis import topology
from chassis.database import make_engine
from support.databases import migrate, truncate_all

PG_BASE = os.environ.get("TEST_DATABASE_URL_BASE", "postgresql://postgres@127.0.0.1:5432")
# Short backoff and relay steps keep the reliability tests quick; the behaviour is the same.
FAST_RETRIES_MS = "50,100,150"


@pytest.fixture(scope="session")
def databases():
    """One fresh, migrated PostgreSQL database per component, created on first use."""
    admin = make_engine(f"{PG_BASE}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    urls: dict[str, str] = {}

    def url_for(component: str) -> str:
        if component not in urls:
            name = f"test_{component}_{uuid.uuid4().hex[:10]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            urls[component] = f"{PG_BASE}/{name}"
            migrate(component, urls[component])
        return urls[component]

    yield url_for
    with admin.connect() as connection:
        for url in urls.values():
            name = url.rsplit("/", 1)[1]
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
