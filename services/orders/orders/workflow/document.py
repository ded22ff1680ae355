"""docs/workflows.md, written from the workflow files themselves (``make workflows``)."""

from typing import Any

from orders.workflow.loader import load_workflows


def _moment(at: dict[str, Any]) -> str:
    amount, unit = at["amount"], at["unit"].replace("_", " ")
    side = "after" if amount >= 0 else "before"
    return f"{abs(amount)} {unit} {side} `{at['anchor']}`"


def _states(states: list[dict[str, Any]]) -> str:
    return ", ".join(s["title"] + (" (end)" if s["terminal"] else "") for s in states)


def render(workflow: dict[str, Any]) -> list[str]:
    lines = [f"## {workflow['title']} — `{workflow['name']}` v{workflow['version']}", ""]
    lines.append(f"States: {_states(workflow['states'])}. Starts in `{workflow['initial']}`.")
    groups: dict[str, list[str]] = {}
    for state in workflow["states"]:
        groups.setdefault(state["group"], []).append(f"`{state['name']}`")
    lines.append(
        "Tabs (groups): " + "; ".join(f"{g}: {', '.join(s)}" for g, s in groups.items()) + "."
    )
    if workflow["placement"]["required"]:
        lines.append("Placing requires: " + ", ".join(workflow["placement"]["required"]) + ".")
    lines += [
        "",
        "| action | who | from | to | guards | payload | emits |",
        "|---|---|---|---|---|---|---|",
    ]
    for action in workflow["actions"]:
        payload = ", ".join(
            f"{name}{'' if spec.get('required') else '?'}"
            for name, spec in action["payload"].items()
        )
        lines.append(
            f"| `{action['name']}` | {', '.join(action['roles'])} | {', '.join(action['from'])} "
            f"| {', '.join(action['to']) or '(stays)'} | {', '.join(action['guards'])} "
            f"| {payload} | {', '.join(action['emits'])} |"
        )
    if workflow["reactions"]:
        lines += ["", "Reactions to other services' events (taken as `system`):", ""]
        lines += [
            f"- `{event}` → {', '.join(f'`{a}`' for a in actions)}"
            for event, actions in workflow["reactions"].items()
        ]
    if workflow["timers"]:
        lines += [
            "",
            "Timers (run by the orders service, once each, on the business-day calendar):",
            "",
        ]
        lines += [
            f"- `{t['name']}`: in {', '.join(t['from'])}, {_moment(t['at'])} → `{t['action']}`"
            for t in workflow["timers"]
        ]
    return lines + [""]


def render_markdown() -> str:
    lines = [
        "# Workflows",
        "",
        "Generated from `services/orders/orders/workflows/*.yaml` by `make workflows`; a test",
        "fails when this file is stale. Every transition also emits `order.status_changed`;",
        "`?` marks an optional payload field. See [adr/0003](adr/0003-workflows-as-data.md) for",
        "the file format.",
        "",
    ]
    for key in sorted(load_workflows()):
        lines += render(load_workflows()[key].describe())
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
