"""The workflows, the business-day calendar and the contact-details rule, set up once per
service container."""

from nameko.extensions import DependencyProvider

from contracts.contact_details import ContactFilter
from contracts.errors import InvalidRequest
from orders.workflow import Calendar, load_workflows


class Workflows:
    def __init__(self, workflows: dict, calendar: Calendar):
        self._workflows = workflows
        self.calendar = calendar

    @property
    def workflows(self) -> dict:
        """Every loaded workflow: ``{(name, version): Workflow}``."""
        return self._workflows

    def latest(self, name):
        versions = [v for (n, v) in self._workflows if n == name]
        if not versions:
            names = sorted({n for n, _ in self._workflows})
            raise InvalidRequest(
                f"unknown workflow {name!r}", {"errors": {"workflow": [f"one of {names}"]}}
            )
        return self._workflows[(name, max(versions))]

    def of(self, order):
        """The workflow the order was created with, whatever has been published since."""
        return self._workflows[(order.workflow, order.workflow_version)]

    def describe(self) -> list[dict]:
        return [workflow.describe() for workflow in self._workflows.values()]


class WorkflowEngine(DependencyProvider):
    def setup(self):
        calendar = Calendar.from_config(self.container.config.get("HOLIDAYS"))
        self.workflows = Workflows(load_workflows(), calendar)

    def get_dependency(self, worker_ctx):
        return self.workflows


class ContactRule(DependencyProvider):
    """The contact-details rule for placements and action notes, in the marketplace's phone
    formats."""

    def setup(self):
        self.filter = ContactFilter.from_setting(self.container.config.get("MARKETPLACE_REGIONS"))

    def get_dependency(self, worker_ctx):
        return self.filter
