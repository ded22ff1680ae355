"""Declarative order workflows, one module per concern:

- ``model``: what a workflow is (states, actions, branches, timers) and how one action runs;
- ``guards`` and ``effects``: the registries of checks and changes a workflow file names;
- ``records``: what guards and effects read and change on an order beyond single attributes;
- ``events``: the events an order publishes and consumes, derived from the contracts;
- ``loader``: reads workflow files and refuses invalid ones; ``document``: docs/workflows.md;
- ``calendar``: business days, for timers.

The bundled workflow files live in ``orders/workflows/``; adding a marketplace is adding a file.
"""

from orders.workflow.calendar import Calendar, add_business_days
from orders.workflow.effects import EFFECTS
from orders.workflow.events import EMITTED_EVENTS, REACTED_EVENTS
from orders.workflow.guards import GUARDS
from orders.workflow.loader import WorkflowError, latest, load_workflows, parse_workflow
from orders.workflow.model import Action, State, Timer, Workflow

__all__ = [
    "EFFECTS",
    "EMITTED_EVENTS",
    "GUARDS",
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
