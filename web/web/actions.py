"""Forms for workflow actions, drawn from the workflow the API describes.

A workflow action declares its payload fields (``{name: {type, required, choices, min, max}}``,
see docs/adr/0003): this module turns them into form fields and a submitted form back into the
payload, so a new workflow, or a new action, needs no new screen. Pure: no Flask, no I/O.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How each payload type is asked for; an unknown type is a plain text box.
WIDGETS = {
    "string": "text",
    "text": "textarea",
    "integer": "number",
    "date": "date",
    "strings": "lines",
    "line_quantities": "line_quantities",
    "inspection_lines": "inspection_lines",
}
VERDICTS = ("accepted", "rejected", "rework")


@dataclass(frozen=True)
class FormField:
    name: str
    widget: str
    required: bool
    choices: tuple[Any, ...] = ()
    min: int | None = None
    max: int | None = None
    lines: tuple[dict[str, Any], ...] = field(default=())

    @property
    def label(self) -> str:
        text = self.name.replace("_", " ")
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ActionForm:
    name: str
    title: str
    fields: tuple[FormField, ...]
    danger: bool

    @property
    def one_click(self) -> bool:
        """Nothing to ask: a button is the whole form."""
        return not self.fields


# Actions that end an order badly deserve a second look in the page's styling.
DANGEROUS = ("cancel", "reject", "fail", "return")
# Actions that commit or move money: a one-click button for them asks first.
MOVES_MONEY = ("accept", "approve_cancellation", "approve_delivery", "record_payment", "refund")


def is_dangerous(name: str) -> bool:
    return name.startswith(DANGEROUS)


def asks_first(name: str) -> bool:
    """Whether a one-click button for this action confirms before it posts."""
    return is_dangerous(name) or name.startswith(MOVES_MONEY)


def find_action(workflow: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((a for a in workflow.get("actions", ()) if a.get("name") == name), None)


def action_forms(workflow: Mapping[str, Any], order: Mapping[str, Any]) -> list[ActionForm]:
    """A form for each action the order allows the caller now, in the workflow's order."""
    allowed = set(order.get("allowed_actions") or ())
    return [
        form_for(action, order)
        for action in workflow.get("actions", ())
        if action.get("name") in allowed
    ]


def form_for(action: Mapping[str, Any], order: Mapping[str, Any]) -> ActionForm:
    lines = tuple(order.get("lines") or ())
    fields = tuple(
        FormField(
            name=name,
            widget=WIDGETS.get(spec.get("type", ""), "text"),
            required=bool(spec.get("required")),
            choices=tuple(spec.get("choices") or ()),
            min=spec.get("min"),
            max=spec.get("max"),
            lines=lines if spec.get("type") in ("line_quantities", "inspection_lines") else (),
        )
        for name, spec in (action.get("payload") or {}).items()
    )
    name = action["name"]
    title = name.replace("_", " ")
    return ActionForm(
        name=name,
        title=title[:1].upper() + title[1:],
        fields=fields,
        danger=is_dangerous(name),
    )


class FormProblem(ValueError):
    """What the person must fix in the form, by field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def payload_of(form: ActionForm, submitted: Mapping[str, str]) -> dict[str, Any]:
    """The action's payload from a submitted form (``submitted.get(name)`` -> str).

    Blank optional fields are left out, so the workflow's own defaults apply; the API checks
    everything again and its problem is shown if it disagrees.
    """
    payload: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in form.fields:
        try:
            value = _value_of(f, submitted)
        except ValueError as error:
            errors[f.name] = str(error)
            continue
        if value in (None, "", []):
            if f.required:
                errors[f.name] = "required"
            continue
        payload[f.name] = value
    if errors:
        raise FormProblem(errors)
    return payload


def _value_of(f: FormField, submitted: Mapping[str, str]) -> Any:
    if f.widget == "line_quantities":
        return [
            {"line_id": line["line_id"], "quantity": quantity}
            for line in f.lines
            if (quantity := _integer(submitted.get(f"{f.name}.{line['line_id']}")))
        ]
    if f.widget == "inspection_lines":
        verdicts = []
        for line in f.lines:
            counts = {
                v: _integer(submitted.get(f"{f.name}.{line['line_id']}.{v}")) or 0 for v in VERDICTS
            }
            if any(counts.values()):
                verdicts.append({"line_id": line["line_id"], **counts})
        return verdicts
    raw = (submitted.get(f.name) or "").strip()
    if f.widget == "number":
        return _integer(raw)
    if f.widget == "lines":
        return [item.strip() for item in raw.splitlines() if item.strip()]
    return raw


def _integer(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None
