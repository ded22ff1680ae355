#!/usr/bin/env python
"""Container health check (installed as marketplace-healthcheck; compose and the k8s probes run it).

gateway, web: GET http://127.0.0.1:$GATEWAY_PORT/healthz (web: $WEB_PORT) answers 200
($HEALTH_URL instead, when set: the admin gateway sets it).
service: the service answers its RPC health check, `<service>.<HEALTH_RPC_METHOD>()` (default
`health`), over the broker at AMQP_URI within HEALTH_TIMEOUT seconds (default 5).
Exit 0 when healthy, 1 otherwise, with the reason on stderr.
"""

import os
import sys
import urllib.request
import warnings

# The HTTP components: the variable holding the port each listens on, and its default.
HTTP_PORTS = {"gateway": ("GATEWAY_PORT", "8080"), "web": ("WEB_PORT", "8082")}


def main() -> int:
    service = os.environ["SERVICE"]
    timeout = float(os.environ.get("HEALTH_TIMEOUT", "5"))
    try:
        if service in HTTP_PORTS:
            port = os.environ.get(*HTTP_PORTS[service])
            url = os.environ.get("HEALTH_URL") or f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return 0 if resp.status == 200 else 1
        warnings.simplefilter("ignore")  # eventlet's deprecation notice is not a health problem
        from nameko.standalone.rpc import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=timeout) as rpc:
            getattr(getattr(rpc, service), os.environ.get("HEALTH_RPC_METHOD", "health"))()
        return 0
    except Exception as exc:  # any failure is "unhealthy"; say which
        print(f"unhealthy: {service}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
