"""The commands table: each mutating RPC's outcome, so a repeated command id has one effect.

Revision ID: 0002
Revises: 0001
"""

from chassis import migrations

upgrade = migrations.upgrade_commands
downgrade = migrations.downgrade_commands

revision = "0002"
down_revision = "0001"
