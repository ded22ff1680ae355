"""How the gateway calls the Nameko services.

A standalone ``ClusterRpcProxy`` waits for its replies on its own connection, so one proxy
shared by every request serializes them. The gateway keeps a pool of proxies instead and lends
each to one call at a time; calls that do not depend on each other run on green threads, so a
page that needs several services waits for the slowest, not for the sum.
"""

import logging
from contextlib import contextmanager
from functools import partial

import eventlet
from eventlet.queue import Empty, LifoQueue
from eventlet.semaphore import Semaphore
from flask import current_app, g
from kombu.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import BadRequest, RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from contracts.errors import ServiceError
from gateway import idempotency
from gateway.problems import Problem

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Readiness has to answer before an orchestrator's probe gives up on it.
PROBE_TIMEOUT_SECONDS = 2
PROBE_POOL_SIZE = 8
BROKER_ERRORS = (OSError, AmqpConnectionError, OperationalError)
# Errors that came back as a reply: the proxy's connection is still good.
REPLIED_ERRORS = (ServiceError, RemoteError, BadRequest)


class ServiceUnavailable(Problem):
    def __init__(self, detail):
        super().__init__(
            503,
            "Service unavailable",
            detail,
            slug="service-unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class ProxyPool:
    """Started standalone proxies, created on first need, each lent to one call at a time."""

    def __init__(self, amqp_uri, size, timeout):
        self._config = {"AMQP_URI": amqp_uri}
        self._timeout = timeout
        self._idle = LifoQueue()  # reuse the most recent: the least likely to have gone stale
        self._free_slots = Semaphore(size)

    @contextmanager
    def lend(self, correlation_id):
        if not self._free_slots.acquire(timeout=self._timeout):
            raise ServiceUnavailable("Every connection to the services is busy")
        try:
            proxy = self._idle_proxy() or _Proxy(self._config, self._timeout)
            proxy.context_data["correlation_id"] = correlation_id
            try:
                yield proxy.cluster
            except REPLIED_ERRORS:
                self._idle.put(proxy)
                raise
            except BaseException:
                proxy.stop()  # a timed-out or broken proxy may still receive stale replies
                raise
            self._idle.put(proxy)
        finally:
            self._free_slots.release()

    def close(self):
        while proxy := self._idle_proxy():
            proxy.stop()

    def _idle_proxy(self):
        try:
            return self._idle.get_nowait()
        except Empty:
            return None


class _Proxy:
    def __init__(self, config, timeout):
        # The proxy keeps this very dict and sends it with every call, so each loan updates it.
        self.context_data = {}
        self._standalone = ClusterRpcProxy(config, context_data=self.context_data, timeout=timeout)
        self.cluster = self._standalone.start()

    def stop(self):
        self._standalone.stop()


class Services:
    """The Nameko cluster as one request sees it; safe to use from green threads."""

    def __init__(self, pool, correlation_id):
        self._pool = pool
        self._correlation_id = correlation_id

    def call(self, method, *args, **kwargs):
        """Call ``"service.method"`` and return its result or raise its error."""
        service, _, name = method.partition(".")
        try:
            with self._pool.lend(self._correlation_id) as cluster:
                return getattr(cluster[service], name)(*args, **kwargs)
        except RpcTimeout as error:
            raise ServiceUnavailable(f"The {service} service did not answer in time") from error
        except UnknownService as error:
            raise ServiceUnavailable(f"The {service} service is not running") from error
        except BROKER_ERRORS as error:
            raise ServiceUnavailable("The message broker cannot be reached") from error


def command(method, *args, **kwargs):
    """Call a mutating ``"service.method"`` with this request's command id (chassis.commands).

    Call it from the request's own thread: the command id belongs to the request.
    """
    return services().call(method, *args, command_id=idempotency.command_id(), **kwargs)


def concurrently(calls, timeout=None, late=None):
    """Run ``{name: callable}`` at once; return ``(results, errors)``, each keyed by name.

    With ``timeout`` (seconds), a call still running then is interrupted and its error is
    ``late(name)``; a proxy interrupted mid-call is stopped, never lent again (ProxyPool.lend).
    """
    threads = {
        name: eventlet.spawn(_outcome, call, timeout, late and partial(late, name))
        for name, call in calls.items()
    }
    results, errors = {}, {}
    for name, thread in threads.items():
        result, error = thread.wait()
        if error is None:
            results[name] = result
        else:
            errors[name] = error
    return results, errors


def public_detail(error):
    """What a client may be told about a failed call."""
    if isinstance(error, (Problem, ServiceError)):
        return str(error)
    return "unexpected error"


def _outcome(call, timeout=None, late=None):
    # A BaseException, thrown into the call wherever it waits: no library's
    # ``except Exception`` swallows it, and the proxy's loan ends as broken.
    timer = eventlet.Timeout(timeout)
    try:
        return call(), None
    except eventlet.Timeout as expired:
        if expired is not timer:
            raise
        return None, late() if late else ServiceUnavailable(f"No answer within {timeout:g} s")
    except Exception as error:
        if not isinstance(error, (Problem, ServiceError)):
            log.error("concurrent call failed", exc_info=error)
        return None, error
    finally:
        timer.cancel()


def init_app(app):
    uri = app.config["AMQP_URI"]
    app.extensions["rpc"] = {
        "calls": ProxyPool(uri, app.config["RPC_POOL_SIZE"], app.config["RPC_TIMEOUT"]),
        "probes": ProxyPool(uri, PROBE_POOL_SIZE, PROBE_TIMEOUT_SECONDS),
    }


def services():
    return Services(current_app.extensions["rpc"]["calls"], g.correlation_id)


def probes():
    """Like ``services()``, with a timeout short enough for health checks."""
    return Services(current_app.extensions["rpc"]["probes"], g.correlation_id)


def close(app):
    for pool in app.extensions["rpc"].values():
        pool.close()
