"""Driving service containers over real RPC, and reading their databases."""

from contextlib import contextmanager

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from chassis.database import make_engine

BUYER = {"user_id": "alice", "role": "buyer", "org": "acme"}
SUPPLIER = {"user_id": "sam", "role": "supplier", "org": "forge"}
ADMIN = {"user_id": "ada", "role": "admin", "org": "platform"}


@contextmanager
def rpc(config):
    with ClusterRpcProxy(config) as proxy:
        yield proxy


def query(url, statement):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(statement).all()
    finally:
        engine.dispose()


def count(url, table, *where) -> int:
    return query(url, select(func.count()).select_from(table).where(*where))[0][0]


def dependency(container, attr_name):
    return next(d for d in container.dependencies if d.attr_name == attr_name)
