"""The commands table: each mutating RPC's outcome, so a repeated command id has one effect.

Revision ID: 0002
Revises: 0001
"""
from chassis.migrations import downgrade_commands as downgrade, upgrade_commands as upgrade  # noqa: F401

revision = "0002"
down_revision = "0001"
