"""The CSV export at the gateway: a streamed response, and a problem before any row."""

import csv
import io

import pytest

from gateway.export import COLUMNS


def test_the_export_is_a_csv_attachment_of_the_callers_orders(client, place, bearer):
    mine = [place(title=title).json["id"] for title in ("=1+1", "Brackets")]
    place(org="other")

    response = client.get("/api/v1/orders/export.csv", headers=bearer())

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="orders.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(row["Order"] for row in rows) == sorted(mine)
    assert sorted(row["Title"] for row in rows) == ["'=1+1", "Brackets"]
    assert {row["Fulfillment status"] for row in rows} == {"open"}


def test_an_unknown_filter_is_a_problem(client, bearer):
    response = client.get("/api/v1/orders/export.csv?colour=red", headers=bearer())

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_a_service_down_before_the_first_rows_is_a_problem(client, cluster, place, bearer):
    place()
    cluster.silent.add("payments")

    response = client.get("/api/v1/orders/export.csv", headers=bearer())

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("scoped", [True, False], ids=["scoped service", "forgetful service"])
def test_another_orgs_ids_export_no_rows_only_the_header(client, cluster, place, bearer, scoped):
    """Naming another organisation's orders selects nothing: even when the orders service
    forgets to scope by the caller, the gateway drops what the caller may not see."""
    cluster.orders.scoped = scoped
    theirs = [place(org="acme").json["id"] for _ in range(2)]

    response = client.get(
        "/api/v1/orders/export.csv", query_string={"ids": theirs}, headers=bearer(org="other")
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == [list(COLUMNS)]
