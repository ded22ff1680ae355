"""Every event the system publishes: its name, producer, consumers and versioned payload schemas.

This is the single place where teams agree on what crosses a service boundary. The topology
(queues and bindings) is derived from it, and so is docs/events.md
(``python -m contracts.catalogue``).
"""

from marshmallow import Schema

from contracts.contract import EventContract, UnknownEvent
from contracts.events import ALL

__all__ = ["CONTRACTS", "EventContract", "UnknownEvent", "contract"]

CONTRACTS: dict[str, EventContract] = {c.name: c for c in ALL}


def contract(event_type: str) -> EventContract:
    try:
        return CONTRACTS[event_type]
    except KeyError:
        raise UnknownEvent(f"no contract for event type {event_type!r}") from None


def _field_rows(schema: Schema) -> list[str]:
    rows = []
    for name, fld in schema.fields.items():
        kind = type(fld).__name__
        if hasattr(fld, "inner"):
            kind += f"[{type(fld.inner).__name__}]"
        rows.append(f"`{name}` {kind}{'' if fld.required else '?'}")
    return rows


def render_markdown() -> str:
    lines = [
        "# Event catalogue",
        "",
        (
            "Generated from `libs/contracts` by `make catalogue`; a test fails when this file is"
            " stale."
        ),
        "Every event travels in the envelope described in [messaging.md](messaging.md), on the",
        (
            "`<producer>.events` exchange with the event name as routing key. `?` marks an optional"
            " field."
        ),
        "",
        "| event | v | producer | consumers | summary |",
        "|---|---|---|---|---|",
    ]
    for c in sorted(CONTRACTS.values(), key=lambda c: c.name):
        consumers = ", ".join(c.consumers) or "—"
        lines.append(f"| `{c.name}` | {c.version} | {c.producer} | {consumers} | {c.summary} |")
    lines.append("")
    for c in sorted(CONTRACTS.values(), key=lambda c: c.name):
        lines += [f"## `{c.name}` (v{c.version})", "", c.summary, ""]
        lines += [f"- {row}" for row in _field_rows(c.schema(c.version))]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
