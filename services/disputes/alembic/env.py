from chassis.migrations import run
from disputes.models import metadata

run("disputes", metadata)
