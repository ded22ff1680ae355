"""Sending scan webhooks the way carriers and aggregators sign them."""

import base64
import hashlib
import hmac
import json
import time

import requests


class Carrier:
    """A carrier (or aggregator) posting to the gateway's carrier door with its secret."""

    def __init__(self, api_url: str, secret: str):
        self.api_url = api_url
        self.secret = secret

    def post_generic(self, carrier, scans, batch=False, timestamp=None, body=None, secret=None):
        """Our generic format; ``body`` replaces what was signed, to play a tampered request.
        One scan per request unless ``batch``."""
        assert batch or len(scans) == 1, "several scans travel in a batch"
        signed = json.dumps({"scans": scans} if batch else scans[0]).encode()
        moment = str(int(time.time() if timestamp is None else timestamp))
        digest = hmac.new(
            (secret or self.secret).encode(), moment.encode() + b"." + signed, hashlib.sha256
        ).hexdigest()
        path = f"/carriers/{carrier}/scans" + ("/batch" if batch else "")
        return requests.post(
            self.api_url + path,
            data=signed if body is None else body,
            headers={
                "Content-Type": "application/json",
                "X-Carrier-Timestamp": moment,
                "X-Carrier-Signature": f"sha256={digest}",
            },
            timeout=15,
        )

    def post_aftership(self, payload: dict):
        body = json.dumps(payload).encode()
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).digest()
        return requests.post(
            self.api_url + "/carriers/aftership",
            data=body,
            headers={
                "Content-Type": "application/json",
                "aftership-hmac-sha256": base64.b64encode(digest).decode(),
            },
            timeout=15,
        )

    def post_easypost(self, payload: dict):
        body = json.dumps(payload).encode()
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return requests.post(
            self.api_url + "/carriers/easypost",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Hmac-Signature": f"hmac-sha256-hex={digest}",
            },
            timeout=15,
        )


def aftership_update(tracking_number, slug, checkpoints, tag=None):
    """An AfterShip ``tracking_update`` webhook body."""
    return {
        "event": "tracking_update",
        "msg": {
            "tracking_number": tracking_number,
            "slug": slug,
            "tag": tag or checkpoints[-1]["tag"],
            "checkpoints": checkpoints,
        },
        "ts": int(time.time()),
    }


def checkpoint(tag, at, subtag=None, location="", message=""):
    return {
        "checkpoint_time": at.isoformat(),
        "tag": tag,
        "subtag": subtag or f"{tag}_001",
        "location": location,
        "message": message,
    }
