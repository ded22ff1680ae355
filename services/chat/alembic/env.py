from chassis.migrations import run
from chat.models import metadata

run("chat", metadata)
