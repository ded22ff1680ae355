"""Every error the API returns, as an RFC 9457 ``application/problem+json`` document."""

import re

from flask import current_app, g, json, request
from flask_smorest import Api

from contracts.errors import ServiceError
from gateway import openapi
from gateway.schemas import ProblemSchema

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:marketplace:problem:"


def problem_type(name):
    """``urn:marketplace:problem:<slug>`` for a title or class name: "Not Found", "NotFound"
    and "not-found" are one type, whether the gateway or a service answers it."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)
    return TYPE_PREFIX + "-".join(word.lower() for word in words)


class Problem(Exception):
    """An error the gateway itself answers with (the services raise ``contracts.errors``)."""

    def __init__(self, status, title, detail, *, slug=None, headers=None, **extensions):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = problem_type(slug or title)
        self.headers = headers or {}
        self.extensions = extensions


class ProblemApi(Api):
    """A flask-smorest Api whose errors, both answered and documented, are problems."""

    ERROR_SCHEMA = ProblemSchema
    # Every operation lists the statuses it answers; none hides behind "default".
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app, **kwargs):
        super().init_app(app, **kwargs)
        app.register_error_handler(Problem, _gateway_problem)
        app.register_error_handler(ServiceError, _service_problem)

    def _register_responses(self):
        # flask-smorest would document its error responses (NOT_FOUND...) as application/json.
        openapi.register_components(self.spec, ProblemSchema, MEDIA_TYPE)

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        if "messages" in data:  # webargs could not parse or validate the request
            return problem_response(
                422,
                "Invalid request",
                "The request has invalid fields; see errors.",
                problem_type=problem_type("invalid-request"),
                extensions={"errors": _field_errors(data["messages"])},
            )
        if error.code >= 500:
            detail = "Something went wrong on our side. Quote the correlation_id if you report it."
        else:
            detail = error.description
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return problem_response(
            error.code, error.name, detail, problem_type=problem_type(error.name), headers=headers
        )


def problem_response(
    status, title, detail, *, problem_type="about:blank", headers=None, extensions=None
):
    body = {
        **(extensions or {}),  # first, so that they cannot overwrite the standard members
        "type": problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "correlation_id": g.get("correlation_id"),
    }
    return current_app.response_class(
        json.dumps(body), status=status, headers=headers, mimetype=MEDIA_TYPE
    )


def _gateway_problem(problem):
    return problem_response(
        problem.status,
        problem.title,
        problem.detail,
        problem_type=problem.type,
        headers=problem.headers,
        extensions=problem.extensions,
    )


def _service_problem(error):
    # A refusal that settles nothing (invalid input, a lost race) must leave the key reusable.
    g.outcome_settled = error.settles_command
    return problem_response(
        error.status,
        error.title,
        error.message,
        problem_type=problem_type(type(error).__name__),
        extensions=error.details,
    )


def _field_errors(messages):
    """webargs keys messages by location (json, query, headers); clients care about fields."""
    errors = {}
    for location, fields in messages.items():
        errors.update(fields if isinstance(fields, dict) else {location: fields})
    return errors
