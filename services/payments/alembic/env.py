from chassis.migrations import run
from payments.models import metadata

run("payments", metadata)
