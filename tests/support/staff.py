"""Tokens of the parties and of platform staff, for tests that call the gateways in-process."""

from gateway.tokens import mint

SECRET = "admin-gateway-test-secret-long-enough-for-hs256"


def bearer(role, org, sub="u-1"):
    return {"Authorization": f"Bearer {mint(sub, role, org, 600, SECRET)}"}


BUYER = bearer("buyer", "acme", "alice")
SUPPLIER = bearer("supplier", "forge", "sam")
ADMIN = bearer("admin", "platform", "ada")
SUPPORT = bearer("support", "platform", "sue")
CUSTOMER_ADMIN = bearer("admin", "acme", "oscar")  # acme's own administrator, not staff
