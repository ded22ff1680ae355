from profiles.models import metadata

from chassis.migrations import run

run("profiles", metadata)
