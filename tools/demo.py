#!/usr/bin/env python3
"""Fill a running system with demo orders, through its public API only (`make demo`).

    .venv/bin/python tools/demo.py [--api http://127.0.0.1:8080/api/v1] [--orders 60]

DEVELOPMENT ONLY: it mints tokens for demo users with the system's JWT_SECRET and signs carrier
scans with its CARRIER_WEBHOOK_SECRET, both read from the environment or, as `make run` leaves
them, from $DATA_DIR/dev-secrets.env. Never point it at a production system.

Orders of all four workflows are walked to every state their workflow has, by the people who
act on them: suppliers approve, produce, upload quality documents and ship in parcels that the
carrier scans; buyers pay by card, message the supplier (unread badges), accept, reject, ask for
revisions and returns; one services order ends in a dispute. Each walk stops at a different
step, so the board has orders in every column. Demo users (tokens printed at the end):

    buyers     alice@acme (manufacturing, factory, retail), bianca@brightlabs (services)
    suppliers  sam@forge (manufacturing), fei@shenzhen-works (factory),
               nia@studio-nova (services), sol@shopfront (retail)
    staff      ada@platform (admin)
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from gateway.tokens import mint

ROOT = Path(__file__).resolve().parent.parent
TOKEN_TTL = 12 * 3600
WAIT_S = 60  # for what another service does after an event (a shipment, a scan)
USERS = {
    "alice": ("buyer", "acme"),
    "bianca": ("buyer", "brightlabs"),
    "sam": ("supplier", "forge"),
    "fei": ("supplier", "shenzhen-works"),
    "nia": ("supplier", "studio-nova"),
    "sol": ("supplier", "shopfront"),
    "ada": ("admin", "platform"),
}
# Who buys and who supplies in each workflow.
PARTIES = {
    "manufacturing": ("alice", "sam"),
    "factory": ("alice", "fei"),
    "services": ("bianca", "nia"),
    "retail": ("alice", "sol"),
}
CATALOGUE = {
    "manufacturing": [
        ("Anodised brackets", "EUR", [("BRKT-7", "Bracket, 6061-T6", 40, 1250)]),
        ("CNC flanges", "EUR", [("FLG-1", "Flange", 12, 4800), ("BLT-M8", "Bolt M8", 96, 35)]),
        ("Laser-cut panels", "USD", [("PNL-3", "Steel panel 2 mm", 25, 2200)]),
    ],
    "factory": [
        ("Cotton tote bags", "USD", [("TOTE-N", "Tote, natural", 500, 180)]),
        (
            "Ceramic mugs",
            "USD",
            [("MUG-W", "Mug, white", 1200, 95), ("BOX-6", "Gift box", 200, 60)],
        ),
    ],
    "services": [
        ("Logo design", "USD", [("LOGO-STD", "Standard package", 1, 40000)]),
        ("Landing page copy", "EUR", [("COPY-1", "Copywriting", 1, 25000)]),
    ],
    "retail": [
        ("Electric kettle", "NGN", [("KTL-1", "Electric kettle", 1, 1500000)]),
        ("Phone case", "NGN", [("CASE-9", "Phone case", 2, 450000)]),
    ],
}
SHIPPING = {
    "ship_to": {
        "name": "Alice Martin",
        "company": "Acme GmbH",
        "street": "Hauptstraße 5",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
    "carrier_account": "DHL-998877",
    "payment_terms": "Net 30",
}
# A one-page PDF that the blob store accepts as a document.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class DemoError(RuntimeError):
    pass


def secrets_from(data_dir: Path) -> dict[str, str]:
    """JWT_SECRET and CARRIER_WEBHOOK_SECRET: the environment first, then dev-secrets.env."""
    known = {}
    path = data_dir / "dev-secrets.env"
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                known[key.strip()] = value.strip()
    found = {}
    for name in ("JWT_SECRET", "CARRIER_WEBHOOK_SECRET"):
        value = os.environ.get(name) or known.get(name)
        if not value:
            raise DemoError(f"{name} is not set and not in {path}: start the system with make run")
        found[name] = value.split(",")[0]
    return found


class User:
    """A demo user calling the API with their own token."""

    def __init__(self, api_url: str, name: str, secret: str, org_suffix: str = ""):
        self.name = name
        self.role, self.org = USERS[name]
        if self.role != "admin":
            self.org += org_suffix
        self.api_url = api_url
        self.token = mint(name, self.role, self.org, TOKEN_TTL, secret)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, expect=(200, 201), **kwargs) -> dict:
        for _ in range(20):
            response = self.session.request(method, self.api_url + path, timeout=30, **kwargs)
            if response.status_code != 503:  # a service still starting, or catching up
                break
            time.sleep(0.5)
        if response.status_code not in expect:
            raise DemoError(f"{self.name}: {method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def act(self, order: dict, action: str, payload: dict | None = None) -> dict:
        return self.call("POST", f"/orders/{order['id']}/actions/{action}", json=payload or {})

    def wait_for(self, order: dict, check, what: str, section: str = "order") -> dict:
        """The order (or another section of its page) once ``check`` holds for it."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            current = self.call("GET", f"/orders/{order['id']}")[section]
            if current is not None and check(current):
                return current
            time.sleep(0.2)
        raise DemoError(f"order {order['id']}: {what} did not happen within {WAIT_S}s")

    def wait_status(self, order: dict, status: str) -> dict:
        return self.wait_for(order, lambda o: o["status"] == status, f"status {status}")


class Carrier:
    """The carrier door, signed as a carrier signs its scans."""

    def __init__(self, api_url: str, secret: str):
        self.api_url, self.secret = api_url, secret

    def scan(self, tracking: str, status: str, at: datetime, location: str) -> None:
        body = json.dumps(
            {
                "scans": [
                    {
                        "event_id": uuid.uuid4().hex,
                        "tracking_number": tracking,
                        "status": status,
                        "occurred_at": at.isoformat(),
                        "location": location,
                        "location_kind": "sorting_centre" if status == "in_transit" else "",
                    }
                ]
            }
        ).encode()
        moment = str(int(time.time()))
        digest = hmac.new(self.secret.encode(), moment.encode() + b"." + body, hashlib.sha256)
        response = requests.post(
            self.api_url + "/carriers/dhl/scans/batch",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Carrier-Timestamp": moment,
                "X-Carrier-Signature": f"sha256={digest.hexdigest()}",
            },
            timeout=30,
        )
        if response.status_code != 202:
            raise DemoError(f"carrier scan: {response.status_code} {response.text}")


class Walk:
    """One order walked through its workflow by its parties, step by step."""

    def __init__(self, demo: Demo, workflow: str, number: int):
        self.demo, self.workflow, self.number = demo, workflow, number
        buyer, supplier = PARTIES[workflow]
        self.buyer, self.supplier = demo.users[buyer], demo.users[supplier]
        self.order: dict = {}
        self.tracking: list[str] = []

    # --- the steps every workflow shares ----------------------------------------------------

    def place(self) -> None:
        choices = CATALOGUE[self.workflow]
        title, currency, lines = choices[self.number % len(choices)]
        today = datetime.now(UTC).date()
        request = {
            "workflow": self.workflow,
            "supplier_org": self.supplier.org,
            "title": title,
            "currency": currency,
            "lines": [
                {"sku": sku, "description": text, "quantity": qty, "unit_price": price}
                for sku, text, qty, price in lines
            ],
            "payment": {"method": "card", "token": "tok_visa"},
        }
        if self.workflow == "manufacturing":
            request["committed_ship_by"] = str(today + timedelta(days=10 + self.number % 7))
            request["committed_deliver_by"] = str(today + timedelta(days=14 + self.number % 7))
            request["shipping"] = SHIPPING
        if self.workflow == "services":
            request.update(kind="service", revisions_allowed=2)
        self.order = self.buyer.call("POST", "/orders", json=request)

    def message(self) -> None:
        """The buyer writes to the supplier: the supplier's board shows an unread badge."""
        path = f"/orders/{self.order['id']}/conversations/order/messages"
        text = "Hello! Could you confirm the schedule, please?"
        self.demo.retry_until_known(lambda: self.buyer.call("POST", path, json={"body": text}))

    def act(self, who: str, action: str, payload: dict | None = None) -> None:
        user = self.buyer if who == "buyer" else self.supplier
        if who == "admin":
            user = self.demo.users["ada"]
        self.order = user.act(self.order, action, payload)

    def ship(self, lines: list[dict] | None = None) -> None:
        number = f"JD{uuid.uuid4().int % 10**12:012d}"
        self.tracking.append(number)
        order_lines = lines or [
            {"line_id": line["line_id"], "quantity": line["quantity"]}
            for line in self.order["lines"]
        ]
        request = {"lines": order_lines, "carrier": "dhl", "tracking_number": number}
        self.demo.retry_until_known(
            lambda: self.supplier.call(
                "POST",
                f"/orders/{self.order['id']}/shipments",
                json={**request, "hand_over": True},
            )
        )

    def scan(self, status: str, then: str | None = None) -> None:
        at = datetime.now(UTC)
        for number in self.tracking:
            self.demo.carrier.scan(number, status, at, "Leipzig hub")
        if then:
            self.order = self.buyer.wait_status(self.order, then)

    def label(self) -> None:
        """A retail parcel's label: fulfillment opens its shipment, which scans then find."""
        self.supplier.wait_for(self.order, bool, "fulfillment hearing of it", "fulfillment")
        self.tracking.append(f"JM{uuid.uuid4().int % 10**10:010d}")
        self.act("supplier", "ready_to_ship", {"tracking_number": self.tracking[-1]})
        self.supplier.wait_for(
            self.order, lambda f: f["shipments"], "the labelled shipment", "fulfillment"
        )

    def receive_return(self) -> None:
        """The returned parcel reaches the seller's warehouse: the order is returned."""
        [parcel] = self.supplier.wait_for(
            self.order, lambda f: f["returns"], "the return's record", "fulfillment"
        )["returns"]
        path = f"/orders/{self.order['id']}/returns/{parcel['id']}/receive"
        self.supplier.call("POST", path, json={"note": "Back in stock, unused"})
        self.order = self.buyer.wait_status(self.order, "returned")

    def documents(self) -> None:
        for kind in ("inspection_report", "material_certificate"):
            self.demo.retry_until_known(
                lambda kind=kind: self.supplier.call(
                    "POST",
                    f"/orders/{self.order['id']}/documents",
                    data={"kind": kind},
                    files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
                )
            )
        self.order = self.supplier.wait_for(
            self.order, lambda o: len(o["documents"]) >= 2, "documents recorded"
        )

    def dispute(self) -> None:
        self.act(
            "buyer",
            "request_cancellation",
            {"reason": "no_longer_needed", "description": "Our rebrand was cancelled"},
        )
        self.act("supplier", "reject_cancellation", {"response": "The concepts are half done"})
        complaint = {
            "reason": "cancellation_refused",
            "description": "The freelancer refused to cancel; only sketches were shared",
        }
        self.demo.retry_until_known(
            lambda: self.buyer.call("POST", f"/orders/{self.order['id']}/disputes", json=complaint)
        )

    # --- each workflow's paths: (final status, steps) -----------------------------------

    def paths(self) -> list[list]:
        w, b, s = self.workflow, "buyer", "supplier"
        if w == "manufacturing":
            produced = [
                lambda: self.act(s, "approve"),
                lambda: self.act(s, "start_production"),
                self.documents,
                lambda: self.act(s, "mark_ready"),
                lambda: (self.ship(), self.scan("in_transit", "in_delivery")),
                lambda: self.scan("delivered", "delivered"),
            ]
            return [produced[:k] for k in range(len(produced) + 1)] + [
                [*produced, lambda: self.act(b, "accept", {"feedback": "Spot on"})],
                [*produced, lambda: self.act(b, "reject", {"reason": "Wrong anodising colour"})],
                [lambda: self.act("admin", "cancel", {"reason": "Duplicate order"})],
            ]
        if w == "factory":
            made = [
                lambda: self.act(s, "advance", {"note": "Materials in"}),
                lambda: self.act(s, "advance"),
                lambda: self.act(s, "advance", {"note": "Shipped by sea"}),
                lambda: self.act(b, "confirm_receipt"),
                lambda: self.act(b, "post_review", {"rating": 5, "comment": "Great quality"}),
            ]
            return [made[:k] for k in range(len(made) + 1)] + [
                [lambda: self.act("admin", "cancel", {"reason": "Buyer asked by phone"})]
            ]
        if w == "services":
            final = {"type": "final", "description": "Final files"}
            return [
                [],
                [lambda: self.act(s, "deliver", final)],
                [lambda: self.act(s, "deliver", final), lambda: self.act(b, "approve_delivery")],
                [
                    lambda: self.act(s, "deliver", final),
                    lambda: self.act(b, "request_revision", {"instructions": "Bolder, please"}),
                ],
                [lambda: self.act(s, "cancel", {"reason": "Overbooked this month"})],
                [self.dispute],
            ]
        shipped = [self.label, lambda: self.scan("in_transit", "shipped")]
        delivered = [*shipped, lambda: self.scan("delivered", "delivered")]
        return [
            [],
            shipped[:1],
            shipped,
            delivered,
            [*delivered, lambda: self.act(b, "return", {"reason": "Wrong colour"})],
            [
                *delivered,
                lambda: self.act(b, "return", {"reason": "Too small"}),
                self.receive_return,
            ],
            [*shipped, lambda: self.scan("delivery_failed", "delivery_failed")],
            [lambda: self.act(b, "cancel", {"reason": "Found it cheaper"})],
        ]

    def run(self, path_index: int) -> str:
        self.place()
        self.order = self.buyer.wait_for(self.order, lambda o: o["funds_held"], "payment held")
        steps = self.paths()[path_index]
        if self.number % 2 == 0:
            self.message()
        for step in steps:
            step()
        return f"{self.workflow}/{self.order['status']}"


class Demo:
    """``org_suffix`` gives the demo organisations names of their own (tests share a system)."""

    def __init__(self, api_url: str, secrets: dict[str, str], org_suffix: str = ""):
        self.users = {
            name: User(api_url, name, secrets["JWT_SECRET"], org_suffix) for name in USERS
        }
        self.carrier = Carrier(api_url, secrets["CARRIER_WEBHOOK_SECRET"])

    @staticmethod
    def retry_until_known(call):
        """A call that needs another service to have heard of the order: it says 404 or 409
        until the order's events reach it."""
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                return call()
            except DemoError as error:
                if time.monotonic() > deadline or not any(
                    f": {code} " in str(error) for code in (404, 409)
                ):
                    raise
                time.sleep(0.3)

    def walks(self, count: int) -> list[tuple[str, int]]:
        """(workflow, path) for ``count`` orders: every path of every workflow, round robin."""
        plan = []
        sizes = {w: len(Walk(self, w, 0).paths()) for w in PARTIES}
        longest = max(sizes.values())
        for index in range(longest):
            for workflow, size in sizes.items():
                if index < size:
                    plan.append((workflow, index))
        return [plan[i % len(plan)] for i in range(count)]

    def run(self, count: int, concurrency: int = 6) -> collections.Counter:
        def walk(item):
            number, (workflow, path) = item
            return Walk(self, workflow, number).run(path)

        with ThreadPoolExecutor(concurrency) as pool:
            return collections.Counter(pool.map(walk, enumerate(self.walks(count))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    port = os.environ.get("GATEWAY_PORT", "8080")
    parser.add_argument("--api", default=f"http://127.0.0.1:{port}/api/v1")
    parser.add_argument("--orders", type=int, default=60, help="how many (default 60)")
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR") or ROOT / "data")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        demo = Demo(args.api, secrets_from(Path(args.data_dir)))
        statuses = demo.run(args.orders)
    except (DemoError, requests.ConnectionError) as error:
        print(f"demo: {error}", file=sys.stderr)
        print("demo: is the system running (make run) at --api?", file=sys.stderr)
        return 1
    print(f"demo: {sum(statuses.values())} orders in {time.monotonic() - started:.0f}s:")
    for key, n in sorted(statuses.items()):
        print(f"  {key:40} {n}")
    print("Demo users' tokens (development only):")
    for name, user in demo.users.items():
        print(f"  {name:7} {user.role:8} {user.org:15} {user.token}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
