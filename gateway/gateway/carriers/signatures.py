"""Verifying a carrier webhook's signature over the raw request body, before anything parses it.

Each verifier takes every secret currently valid for the sender (two during a rotation) and
raises ``SignatureInvalid`` with a reason unless one of them produced the signature.
"""

import base64
import hashlib
import hmac
import unicodedata

TOLERANCE_SECONDS = 300


class SignatureInvalid(Exception):
    """The request is not from who it claims to be, or is a replay; the message says which."""


def generic(secrets, timestamp: str | None, signature: str | None, body: bytes, now: float):
    """Our own format: ``X-Carrier-Timestamp: <unix seconds>`` and ``X-Carrier-Signature:
    sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``, within ``TOLERANCE_SECONDS``."""
    if not timestamp or not signature:
        raise SignatureInvalid("send X-Carrier-Timestamp and X-Carrier-Signature")
    try:
        moment = int(timestamp)
    except ValueError:
        raise SignatureInvalid("X-Carrier-Timestamp must be whole Unix seconds") from None
    if abs(now - moment) > TOLERANCE_SECONDS:
        raise SignatureInvalid(
            f"X-Carrier-Timestamp is more than {TOLERANCE_SECONDS} s from our clock: "
            "a replay, or a clock to fix"
        )
    scheme, _, digest = signature.partition("=")
    if scheme != "sha256" or not digest:
        raise SignatureInvalid("X-Carrier-Signature must read sha256=<hex digest>")
    signed = timestamp.encode() + b"." + body
    _match(secrets, digest, lambda key: hmac.new(key, signed, hashlib.sha256).hexdigest())


def aftership(secrets, signature: str | None, body: bytes):
    """AfterShip: ``aftership-hmac-sha256: <base64 HMAC-SHA256 of the body>``."""
    if not signature:
        raise SignatureInvalid("send the aftership-hmac-sha256 header")
    _match(
        secrets,
        signature.strip(),
        lambda key: base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode(),
    )


def easypost(secrets, signature: str | None, body: bytes):
    """EasyPost: ``X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256 of the body>``, keyed
    with the NFKD-normalised webhook secret, as EasyPost computes it."""
    prefix = "hmac-sha256-hex="
    if not signature or not signature.startswith(prefix):
        raise SignatureInvalid(f"send X-Hmac-Signature: {prefix}<hex digest>")
    _match(
        [unicodedata.normalize("NFKD", secret) for secret in secrets],
        signature[len(prefix) :].strip().lower(),
        lambda key: hmac.new(key, body, hashlib.sha256).hexdigest(),
    )


def _match(secrets, presented: str, sign) -> None:
    if not secrets:
        raise SignatureInvalid("no webhook secret is configured for this sender")
    if not any(hmac.compare_digest(sign(secret.encode()), presented) for secret in secrets):
        raise SignatureInvalid("the signature does not match the body")
