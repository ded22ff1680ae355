"""Rebuild the profiles' projection from the kept history: the operator's command.

An upgrade that adds a table derived from the history (migration 0004's running totals and
medians, 0005's conversation posts) creates it empty; until it is rebuilt, existing
organisations read as having no figures. Run this after ``alembic upgrade head`` and before
starting the profiles service (its events wait in RabbitMQ meanwhile). Staff's moderation is
kept. The ``rebuild`` RPC does the same for staff while the service runs.
"""

import argparse
import sys

from sqlalchemy.orm import Session

from chassis.database import make_engine
from chassis.settings import database_url
from profiles import repository


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: PROFILES_DATABASE_URL")
    options = parser.parse_args(argv)
    engine = make_engine(options.database_url or database_url("profiles"))
    try:
        with Session(engine) as session, session.begin():
            replayed = repository.rebuild(session)
    finally:
        engine.dispose()
    print(f"profiles rebuilt from {replayed} events of the history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
