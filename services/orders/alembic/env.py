from chassis.migrations import run
from orders.models import metadata

run("orders", metadata)
