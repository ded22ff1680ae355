"""Declarative order workflows: the engine, the loader of workflow files, the business calendar.

The bundled workflow files live in ``orders/workflows/``; adding a marketplace is adding a file.
"""

from chassis.calendar import Calendar, add_business_days
from orders.workflow.engine import (
    EFFECTS,
    EMITTED_EVENTS,
    GUARDS,
    MONEY_EVENTS,
    REACTED_EVENTS,
    Action,
    State,
    Timer,
    Workflow,
)
from orders.workflow.loader import WorkflowError, latest, load_workflows, parse_workflow

__all__ = [
    "EFFECTS",
    "EMITTED_EVENTS",
    "GUARDS",
    "MONEY_EVENTS",
    "REACTED_EVENTS",
    "Action",
    "Calendar",
    "State",
    "Timer",
    "Workflow",
    "WorkflowError",
    "add_business_days",
    "latest",
    "load_workflows",
    "parse_workflow",
]
