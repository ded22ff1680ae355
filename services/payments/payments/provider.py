"""The payment-provider port, and the built-in sandbox behind it.

Card or bank money enters and leaves only through a provider. Every call carries an idempotency
key (the ledger key of the movement it serves), so a redelivered event that calls again gets the
first answer, as real providers do. The sandbox keeps no state: the test token decides the
outcome, and a charge id carries what a later status check needs.
"""

import time
from dataclasses import dataclass
from typing import Protocol

from nameko.extensions import DependencyProvider

SUCCEEDED = "succeeded"
PROCESSING = "processing"
FAILED = "failed"

# Test tokens a client sends instead of a card number (nothing else is accepted or stored).
SANDBOX_TOKENS = {
    "tok_visa": (SUCCEEDED, ""),
    "tok_mastercard": (SUCCEEDED, ""),
    "tok_declined": (FAILED, "Your card was declined."),
    "tok_insufficient_funds": (FAILED, "Your card has insufficient funds."),
    "tok_expired": (FAILED, "Your card has expired."),
    "tok_fails_later": (PROCESSING, ""),
    "tok_payout_fails": (FAILED, "The bank account was closed."),
}
LATE_FAILURE = "Your bank refused the payment after it was authorised."


@dataclass(frozen=True)
class Outcome:
    status: str
    reference: str
    reason: str = ""


class PaymentProvider(Protocol):
    name: str

    def charge(self, token: str, amount: int, currency: str, key: str) -> Outcome: ...

    def status(self, reference: str) -> Outcome: ...

    def refund(self, reference: str, amount: int, currency: str, key: str) -> Outcome: ...

    def payout(self, destination: str, amount: int, currency: str, key: str) -> Outcome: ...


class SandboxProvider:
    """Test tokens succeed, are declined, or are accepted and fail ``settle_after_s`` later."""

    name = "sandbox"

    def __init__(self, settle_after_s: float = 2.0, clock=time.time):
        self.settle_after_s = settle_after_s
        self.clock = clock

    def charge(self, token: str, amount: int, currency: str, key: str) -> Outcome:
        status, reason = SANDBOX_TOKENS.get(token, (FAILED, f"Unknown test card token {token!r}."))
        reference = f"ch_{key}"
        if status == PROCESSING:
            reference = f"ch_late_{self.clock():.3f}_{key}"
        return Outcome(status, reference, reason)

    def status(self, reference: str) -> Outcome:
        if not reference.startswith("ch_late_"):
            return Outcome(SUCCEEDED, reference)
        charged_at = float(reference.split("_")[2])
        if self.clock() - charged_at < self.settle_after_s:
            return Outcome(PROCESSING, reference)
        return Outcome(FAILED, reference, LATE_FAILURE)

    def refund(self, reference: str, amount: int, currency: str, key: str) -> Outcome:
        return Outcome(SUCCEEDED, f"re_{key}")

    def payout(self, destination: str, amount: int, currency: str, key: str) -> Outcome:
        status, reason = SANDBOX_TOKENS.get(destination, (SUCCEEDED, ""))
        return Outcome(status, f"po_{key}", reason)


class Provider(DependencyProvider):
    """``self.provider``: the configured provider (``PAYMENT_PROVIDER``; only the sandbox ships)."""

    def setup(self):
        config = self.container.config
        name = config.get("PAYMENT_PROVIDER") or "sandbox"
        if name != "sandbox":
            raise ValueError(f"unknown PAYMENT_PROVIDER {name!r}; this build has: sandbox")
        self.provider = SandboxProvider(float(config.get("SANDBOX_SETTLE_AFTER_S", 2)))

    def get_dependency(self, worker_ctx):
        return self.provider
