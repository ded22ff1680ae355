"""Events about an order that arrived before chat heard of the order (ADR 16).

Revision ID: 0004
Revises: 0003
"""

from chassis import migrations

upgrade = migrations.upgrade_waiting_events
downgrade = migrations.downgrade_waiting_events

revision = "0004"
down_revision = "0003"
