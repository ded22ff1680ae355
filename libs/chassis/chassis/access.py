"""Who may see what: the organisation rule every service applies to its order-scoped data.

Platform staff are the admin and support roles of the platform's own organisation
(``PLATFORM_ORG``, "platform" unless configured): only they act across organisations. A token
with an admin or support role from any other organisation reaches no order
(docs/adr/0010-platform-staff-identity.md).
"""

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, false, true

STAFF_ROLES = ("admin", "support")
DEFAULT_PLATFORM_ORG = "platform"


def platform_org(environ: Mapping[str, str] | None = None) -> str:
    return (os.environ if environ is None else environ).get("PLATFORM_ORG") or DEFAULT_PLATFORM_ORG


def is_staff(actor: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``actor`` is platform staff, who act platform-wide under their own role."""
    return actor.get("role") in STAFF_ROLES and actor.get("org") == platform_org(environ)


def visible_to(actor: dict[str, Any], buyer_org: Any, supplier_org: Any) -> ColumnElement[bool]:
    """A filter on a row's buyer and supplier organisation columns for ``actor``.

    Buyers see their organisation's orders, suppliers the orders placed with theirs; platform
    staff see every order, and nobody else sees any.
    """
    if actor["role"] == "buyer":
        return buyer_org == actor["org"]  # type: ignore[no-any-return]
    if actor["role"] == "supplier":
        return supplier_org == actor["org"]  # type: ignore[no-any-return]
    return true() if is_staff(actor) else false()
