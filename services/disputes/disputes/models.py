"""The disputes service's tables. Its domain arrives in a later issue; the messaging tables are here now."""
from sqlalchemy import MetaData

from chassis.tables import messaging_tables

metadata = MetaData()
messaging_tables(metadata)
