"""Each component's migrations build exactly the tables its models describe."""

import pytest
from alembic import command
from alembic.config import Config

from support.components import COMPONENTS
from support.databases import alembic_ini


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_migrations_match_the_models(component, databases):
    config = Config(str(alembic_ini(component)))
    config.set_main_option("sqlalchemy.url", databases(component))
    command.check(config)  # raises when autogenerate would find anything to change
