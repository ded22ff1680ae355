from chassis.migrations import run
from gateway.models import metadata

run("gateway", metadata)
