"""The chassis's interface tests run on PostgreSQL and on SQLite files, the embedded default.

A test that only holds on PostgreSQL (concurrent replicas, ``SKIP LOCKED``) says so with
``@pytest.mark.postgresql_only``: it then runs once, on PostgreSQL.
"""

import pytest

from chassis.database import make_engine
from support.databases import BACKENDS, Databases, migrated_databases


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        postgresql_only = metafunc.definition.get_closest_marker("postgresql_only")
        metafunc.parametrize(
            "backend",
            ["postgresql"] if postgresql_only else list(BACKENDS),
            indirect=True,
            scope="session",
        )


@pytest.fixture(scope="session")
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def empty_databases(backend, tmp_path_factory):
    """Fresh databases of the test's backend, for services the test defines itself."""
    databases = Databases(backend, tmp_path_factory.mktemp(backend))
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def databases(backend, tmp_path_factory):
    yield from migrated_databases(Databases(backend, tmp_path_factory.mktemp(backend)))


@pytest.fixture
def database_of(empty_databases):
    """``database_of(metadata)``: a new database of the test's backend holding these tables."""

    def create(metadata) -> str:
        url = empty_databases.create("chassis")
        engine = make_engine(url)
        metadata.create_all(engine)
        engine.dispose()
        return url

    return create
