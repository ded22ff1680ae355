"""Claims staff approved (seed 003): the platform compensates the seller.

The amount moves from the platform's compensation account (its expense: it may go negative, like
the commission account) straight into the seller's wallet, available at once: the claim was
decided by staff, so no payment terms apply. The movement is keyed by the claim, so a claim is
paid once even if its approval were published twice under different event ids.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from payments import ledger
from payments.books import COMPENSATION, PLATFORM, WALLET, Books


def compensate(session: Session, now: datetime, event_id: str, claim: dict) -> str | None:
    """Pay an approved claim (``claim.approved``'s data); the transaction's id, or None if the
    claim was paid before."""
    books = Books(session, now)
    currency = claim["currency"]
    return books.record(
        f"claim:{claim['claim_id']}:compensation",
        "compensation",
        ledger.move(
            books.account(COMPENSATION, PLATFORM, currency),
            books.account(WALLET, claim["supplier_org"], currency),
            currency,
            claim["amount"],
        ),
        cause=("claim.approved", event_id),
        order_id=claim["order_id"],
    )
