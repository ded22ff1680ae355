"""Events about an order that arrived before the event that opens its record.

Revision ID: 0005
Revises: 0004
"""

from chassis import migrations

upgrade = migrations.upgrade_waiting_events
downgrade = migrations.downgrade_waiting_events

revision = "0005"
down_revision = "0004"
