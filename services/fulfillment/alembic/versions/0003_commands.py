"""The commands table: each mutating RPC's outcome, so a repeated command id has one effect.

Revision ID: 0003
Revises: 0002
"""

from chassis import migrations

upgrade = migrations.upgrade_commands
downgrade = migrations.downgrade_commands

revision = "0003"
down_revision = "0002"
