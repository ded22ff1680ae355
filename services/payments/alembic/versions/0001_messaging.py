"""The outbox and inbox tables.

Revision ID: 0001
"""
from chassis.migrations import downgrade_messaging as downgrade, upgrade_messaging as upgrade  # noqa: F401

revision = "0001"
down_revision = None
