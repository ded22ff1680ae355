"""Who may see what: the organisation rule every service applies to its order-scoped data."""

from typing import Any

from sqlalchemy import ColumnElement, true


def visible_to(actor: dict[str, Any], buyer_org: Any, supplier_org: Any) -> ColumnElement[bool]:
    """A filter on a row's buyer and supplier organisation columns for ``actor``.

    Buyers see their organisation's orders, suppliers the orders placed with theirs; admins and
    support act platform-wide under their own role.
    """
    if actor["role"] == "buyer":
        return buyer_org == actor["org"]  # type: ignore[no-any-return]
    if actor["role"] == "supplier":
        return supplier_org == actor["org"]  # type: ignore[no-any-return]
    return true()
