"""Emptying a test database between tests, keeping its schema."""
from sqlalchemy import inspect, text

from chassis.database import make_engine


def truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
