"""Migrating test databases, and emptying them between tests while keeping their schema."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from chassis.database import make_engine

ROOT = Path(__file__).resolve().parents[2]


def truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


def alembic_ini(component: str) -> Path:
    home = ROOT / "gateway" if component == "gateway" else ROOT / "services" / component
    return home / "alembic.ini"


def migrate(component: str, url: str) -> None:
    config = Config(str(alembic_ini(component)))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
