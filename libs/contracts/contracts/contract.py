"""What one event type is: its name, producer, consumers and versioned payload schemas."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from marshmallow import Schema


class UnknownEvent(LookupError):
    """No contract exists for this event type or schema version."""


@dataclass(frozen=True)
class EventContract:
    name: str
    producer: str
    summary: str
    schemas: Mapping[int, type[Schema]]
    consumers: tuple[str, ...] = ()
    version: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", max(self.schemas))

    @property
    def accepted_versions(self) -> tuple[int, ...]:
        """Consumers accept the current and the previous schema version."""
        return tuple(v for v in (self.version - 1, self.version) if v in self.schemas)

    def schema(self, version: int) -> Schema:
        if version not in self.accepted_versions:
            raise UnknownEvent(
                f"{self.name} schema_version {version} is not accepted "
                f"(accepted: {list(self.accepted_versions)})"
            )
        return _instance(self.schemas[version])


@cache
def _instance(schema_class: type[Schema]) -> Schema:
    """Schemas are stateless once built, and building one is not cheap: build each once."""
    return schema_class()


class FirstVersion(Protocol):
    def __call__(
        self, name: str, schema: type[Schema], summary: str, consumers: Sequence[str] = ()
    ) -> EventContract: ...


def produced_by(producer: str) -> FirstVersion:
    """What makes ``producer``'s contracts at schema version 1, as each events module writes
    them: ``_orders = produced_by("orders")``, then ``_orders(name, schema, summary, consumers)``.
    """

    def contract(
        name: str, schema: type[Schema], summary: str, consumers: Sequence[str] = ()
    ) -> EventContract:
        return EventContract(name, producer, summary, {1: schema}, tuple(consumers))

    return contract
