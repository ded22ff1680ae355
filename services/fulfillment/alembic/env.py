from chassis.migrations import run
from fulfillment.models import metadata

run("fulfillment", metadata)
