"""The commands table: each mutating RPC's outcome, so a repeated command id has one effect.

Revision ID: 0004
Revises: 0003
"""

from chassis import migrations

upgrade = migrations.upgrade_commands
downgrade = migrations.downgrade_commands

revision = "0004"
down_revision = "0003"
