"""The outbox and inbox tables.

Revision ID: 0001
"""

from chassis import migrations

upgrade = migrations.upgrade_messaging
downgrade = migrations.downgrade_messaging

revision = "0001"
down_revision = None
