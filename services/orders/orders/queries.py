"""What a list or count query may ask, checked against the workflows: an unknown filter or value
is an InvalidRequest that names it, never a silently empty or unfiltered answer.

``list_query(query, workflows)`` and ``count_query(query, workflows)`` return the query with its
values checked (``delayed`` as a bool, ``limit`` as an int); ``workflows`` are the loaded
``{(name, version): Workflow}``.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.errors import InvalidRequest
from orders.workflow.model import GROUPS, Workflow

COUNT_FILTERS = ("workflow", "kind", "delayed", "q")
LIST_FILTERS = (*COUNT_FILTERS, "status", "group", "sort", "cursor", "limit", "ids")
TRUE, FALSE = ("true", "1", True), ("false", "0", False)


def list_query(query: Mapping[str, Any], workflows: Mapping[Any, Workflow]) -> dict[str, Any]:
    return _checked(query, workflows, LIST_FILTERS)


def count_query(query: Mapping[str, Any], workflows: Mapping[Any, Workflow]) -> dict[str, Any]:
    return _checked(query, workflows, COUNT_FILTERS)


def _checked(
    query: Mapping[str, Any], workflows: Mapping[Any, Workflow], allowed: tuple[str, ...]
) -> dict[str, Any]:
    given = {name: value for name, value in query.items() if value not in (None, "")}
    errors = {
        name: [f"unknown filter; use one of {', '.join(allowed)}"]
        for name in given
        if name not in allowed
    }
    name = given.get("workflow")
    names = sorted({workflow.name for workflow in workflows.values()})
    if name is not None and name not in names:
        errors["workflow"] = [f"one of {', '.join(names)}"]
        name = None
    chosen = [w for w in workflows.values() if name in (None, w.name)]
    _one_of(errors, given, "status", sorted({s for w in chosen for s in w.states}))
    _one_of(errors, given, "group", GROUPS)
    kinds = sorted({kind for w in chosen for kind in w.placement.kinds})
    if "kind" in given and not kinds:
        errors["kind"] = [f"the {name} workflow has no kinds"]
    else:
        _one_of(errors, given, "kind", kinds)
    if "delayed" in given:
        value = given["delayed"]
        if value in TRUE or value in FALSE:
            given["delayed"] = value in TRUE
        else:
            errors["delayed"] = ["true or false"]
    if errors:
        wrong = ", ".join(sorted(errors))
        raise InvalidRequest(f"invalid query: {wrong}", {"errors": errors})
    return given


def _one_of(
    errors: dict[str, list[str]], given: Mapping[str, Any], name: str, choices: Sequence[str]
) -> None:
    if name in given and given[name] not in choices:
        errors[name] = [f"one of {', '.join(choices)}"]
