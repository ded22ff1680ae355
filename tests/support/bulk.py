"""Many orders at once, straight into the orders database: copies of one order placed through
the API (new ids, placed a second apart), for tests and benchmarks of what reads them in bulk."""

from sqlalchemy import text

from chassis.database import make_engine

_COPIES = text(
    """
    INSERT INTO orders (id, buyer_org, buyer_user, supplier_org, workflow, workflow_version,
        status, status_group, kind, delayed, title, search_text, currency, total, placed_at,
        updated_at, next_deadline_at, version, state)
    SELECT copy.id, o.buyer_org, o.buyer_user, o.supplier_org, o.workflow, o.workflow_version,
        o.status, o.status_group, o.kind, o.delayed, o.title, copy.id || ' ' || o.search_text,
        o.currency, o.total, o.placed_at - make_interval(secs => n), o.updated_at,
        o.next_deadline_at, o.version, jsonb_set(o.state::jsonb, '{id}', to_jsonb(copy.id))::json
    FROM orders o, generate_series(1, :copies) AS n,
        LATERAL (SELECT md5(o.id || n)::uuid::text AS id) AS copy
    WHERE o.id = :template
    """
)


def copy_order(orders_url: str, order_id: str, copies: int) -> None:
    """Insert ``copies`` copies of the order (PostgreSQL), then refresh the planner's stats."""
    engine = make_engine(orders_url)
    try:
        with engine.begin() as connection:
            # The chassis's engine bounds statements for services; a bulk load takes longer.
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(_COPIES, {"copies": copies, "template": order_id})
            connection.execute(text("ANALYZE orders"))
    finally:
        engine.dispose()
