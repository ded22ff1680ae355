"""The chat service's tables."""

from sqlalchemy import MetaData

from chassis.tables import messaging_tables

metadata = MetaData()
messaging_tables(metadata)
