"""Typed errors that cross RPC boundaries.

Registered with Nameko's exception registry, so a caller receives an instance of the same class
(not a generic ``RemoteError``) and can map it to an HTTP problem without parsing strings.
"""

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``details`` is JSON-serialisable."""

    status = 500
    title = "Service error"
    # A command that fails with this error is answered the same way when it is repeated
    # (``chassis.commands``). A request refused before it could act (invalid, or beaten by a
    # concurrent change) settles nothing: its command id may be sent again.
    settles_command = True

    def __init__(self, message: str, details: dict[str, Any] | str | None = None):
        # As it arrives over RPC: see below.
        loaded = json.loads(details) if isinstance(details, str) else details
        details = dict(loaded or {})
        # Nameko's serializer turns every argument that is not a string, list or dict into a
        # string (a version 3 would arrive as "3", None as "None"), so details travel as JSON.
        super().__init__(message, json.dumps(details, default=str))
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class InvalidRequest(ServiceError):
    """The request is malformed; ``details['errors']`` maps fields to messages."""

    status = 422
    title = "Invalid request"
    settles_command = False


@deserialize_to_instance
class NotFound(ServiceError):
    """The resource does not exist, or the caller may not know that it does."""

    status = 404
    title = "Not found"


@deserialize_to_instance
class Forbidden(ServiceError):
    """The caller can see the resource but their role may not do this to it."""

    status = 403
    title = "Forbidden"


@deserialize_to_instance
class IllegalTransition(ServiceError):
    """The action is not allowed in the current state.

    ``details`` carries ``state`` (the current one) and ``allowed`` (the actions the caller may
    take now), so a client can correct itself.
    """

    status = 409
    title = "Action not allowed in this state"


@deserialize_to_instance
class GuardFailed(ServiceError):
    """The action is allowed in this state but a precondition (document, limit, window) fails."""

    status = 409
    title = "Precondition failed"


@deserialize_to_instance
class Conflict(ServiceError):
    """A concurrent change won, or an idempotency key was reused for a different request."""

    status = 409
    title = "Conflict"
    settles_command = False


@deserialize_to_instance
class InsufficientFunds(ServiceError):
    """A payout or payment asks for more than the balance has available; ``details`` carries
    ``available``. Nothing moved, so the same command may be sent again once funds arrive."""

    status = 409
    title = "Insufficient funds"
    settles_command = False


@deserialize_to_instance
class IdempotencyKeyReused(ServiceError):
    """A command id (an ``Idempotency-Key``) came again with a different request."""

    status = 422
    title = "Idempotency key reused"
    settles_command = False


@deserialize_to_instance
class PreconditionFailed(ServiceError):
    """The caller's precondition (HTTP If-Match: the version it expects) does not hold.

    ``details`` carries ``version``, the current one.
    """

    status = 412
    title = "Precondition failed"
    settles_command = False


def error_class(name: str) -> type[ServiceError]:
    """The typed error called ``name``: a recorded outcome is raised again as what it was."""
    pending: list[type[ServiceError]] = [ServiceError]
    while pending:
        klass = pending.pop()
        if klass.__name__ == name:
            return klass
        pending += klass.__subclasses__()
    return ServiceError
