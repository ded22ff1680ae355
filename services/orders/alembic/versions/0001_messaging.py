"""The outbox and inbox tables.

Revision ID: 0001
"""
from alembic import op

from chassis.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade():
    create_messaging_tables(op)


def downgrade():
    drop_messaging_tables(op)
