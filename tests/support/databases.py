"""Creating, migrating and emptying test databases: PostgreSQL, or SQLite files (the default).

Each database keeps its schema between tests and is emptied before each one.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from chassis.database import make_engine, normalise_url

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("postgresql", "sqlite")
PG_BASE = os.environ.get("TEST_DATABASE_URL_BASE", "postgresql://postgres@127.0.0.1:5432")


def truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
        else:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def alembic_ini(component: str) -> Path:
    home = ROOT / "gateway" if component == "gateway" else ROOT / "services" / component
    return home / "alembic.ini"


def migrate(component: str, url: str) -> None:
    config = Config(str(alembic_ini(component)))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


class Databases:
    """Fresh, empty databases of one backend, created on demand and dropped at the end."""

    def __init__(self, backend: str, directory: Path, pg_base: str = PG_BASE):
        self.backend = backend
        self._pg_base = pg_base
        self._directory = directory
        self._created: list[str] = []
        self._admin = None

    def create(self, prefix: str) -> str:
        name = f"test_{prefix}_{uuid.uuid4().hex[:10]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self._directory / name}.db"
        if self._admin is None:
            # No statement timeout: on a loaded machine, dropping a database can take a while.
            self._admin = create_engine(
                normalise_url(f"{self._pg_base}/postgres"), isolation_level="AUTOCOMMIT"
            )
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return f"{self._pg_base}/{name}"

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def migrated_databases(databases: Databases) -> Iterator:
    """``url_for(component)``: one migrated database per component, created on first use."""
    urls: dict[str, str] = {}

    def url_for(component: str) -> str:
        if component not in urls:
            urls[component] = databases.create(component)
            migrate(component, urls[component])
        return urls[component]

    yield url_for
    databases.drop_all()
