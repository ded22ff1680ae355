"""The order page: the order and what every other service knows of it, in one response.

The sections are fetched at once on green threads, each within ``ORDER_PAGE_SECTION_TIMEOUT``,
so the page waits for its slowest section and never longer than that timeout. A section whose
service fails, is not running or does not answer in time is null, and the page names it in
``warnings`` (problem-like entries); only the order itself is required. The public and the admin
gateway serve the same page.
"""

from functools import partial

from contracts.errors import ServiceError
from gateway.payments import order_payments_section
from gateway.problems import Problem, problem_type
from gateway.rpc import ServiceUnavailable, concurrently


def _call(method):
    return lambda rpc, actor, order_id: rpc.call(method, actor, order_id)


# What the page shows besides the order, one line per section.
ORDER_PAGE_SECTIONS = {
    "timeline": _call("orders.get_timeline"),
    # its lines, shipments with their scans, quality documents, returns
    "fulfillment": _call("fulfillment.get_fulfillment"),
    "disputes": _call("disputes.order_disputes"),
    # the seller's claims on the platform (an unscanned parcel, a wrong item returned)
    "claims": _call("disputes.order_claims"),
    "payments": order_payments_section,
    # conversations with their unread counts, the latest messages
    "chat": _call("chat.order_summary"),
}


def order_page(rpc, actor, order_id, timeout, check_visible=None):
    """The page as a dict; raises the order's own error if the order cannot be read."""
    found, failures = concurrently(
        {
            "order": partial(rpc.call, "orders.get_order", actor, order_id),
            **{
                name: partial(fetch, rpc, actor, order_id)
                for name, fetch in ORDER_PAGE_SECTIONS.items()
            },
        },
        timeout=timeout,
        late=lambda name: ServiceUnavailable(
            f"The {name} section did not answer within {timeout:g} s"
        ),
    )
    if "order" in failures:
        raise failures.pop("order")
    if check_visible:
        check_visible(found["order"], order_id)
    return {
        "order": found["order"],
        **{name: found.get(name) for name in ORDER_PAGE_SECTIONS},
        "warnings": [warning(name, error) for name, error in failures.items()],
    }


def warning(section, error):
    """A failed section as a problem (RFC 9457 members) that names the section."""
    if isinstance(error, Problem):
        fields = {"type": error.type, "title": error.title, "status": error.status}
        detail = error.detail
    elif isinstance(error, ServiceError):
        fields = {
            "type": problem_type(type(error).__name__),
            "title": error.title,
            "status": error.status,
        }
        detail = error.message
    else:
        fields = {"type": problem_type("internal-error"), "title": "Internal error", "status": 500}
        detail = "unexpected error"
    return {"section": section, **fields, "detail": detail}
