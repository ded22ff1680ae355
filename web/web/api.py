"""The dashboard's only way to the system: the gateway's HTTP API, with the user's own token.

Every call carries the signed-in person's bearer token, so the gateway decides what they may
see and do; a refusal comes back as an ``ApiError`` holding the problem document, which the
pages show as text.
"""

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import requests
from flask import current_app, g, has_request_context, request

# Several sections of a page are fetched at once, like the gateway's own order page.
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="web-api")


class ApiError(Exception):
    """The API refused or failed: its problem document, or what went wrong reaching it."""

    def __init__(self, status: int, title: str, detail: str = "", errors: Any = None):
        super().__init__(f"{status} {title}: {detail}")
        self.status, self.title, self.detail, self.errors = status, title, detail, errors or {}

    @property
    def message(self) -> str:
        """One plain sentence (and the fields' messages) to show the person."""
        text = self.detail or self.title
        fields = _flatten(self.errors)
        return f"{text} ({'; '.join(fields)})" if fields else text

    @classmethod
    def of(cls, response: requests.Response) -> "ApiError":
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors") or {}
        return cls(
            response.status_code,
            body.get("title") or response.reason or "Error",
            body.get("detail") or "",
            errors,
        )


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out += _flatten(value, "" if name in ("_schema", "errors") else name)
        return out
    if isinstance(errors, list):
        texts = [e for e in errors if isinstance(e, str)]
        nested = [e for e in errors if not isinstance(e, str)]
        out = [f"{prefix}: {' '.join(texts)}" if prefix else " ".join(texts)] if texts else []
        for item in nested:
            out += _flatten(item, prefix)
        return out
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def api_path(*segments: Any) -> str:
    """An API path from its segments, each escaped whole: a value from the browser (an order
    id, a conversation, a queue) stays one segment and cannot climb out with `/` or `..`."""
    escaped = [quote(str(segment), safe="") for segment in segments]
    return "/" + "/".join(
        part.replace(".", "%2E") if part in (".", "..") else part for part in escaped
    )


def idempotency_key(method: str, path: str) -> str:
    """The key of one outgoing mutating call. A form carries a key drawn with it (form_fields),
    so submitting it twice (a double click, a resent POST) repeats the same keys and the gateway
    replays the first answer. The key is derived per call, since one submission may make several
    calls and the gateway ties a key to one method and path. Without a form key: a fresh one."""
    form_key = request.form.get("idempotency_key") if has_request_context() else None
    if not form_key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{form_key} {method} {path}"))


class Api:
    """One person's view of an API (the public one, or the admin one for staff)."""

    def __init__(self, base_url: str, token: str, session: requests.Session, timeout: float):
        self.base_url, self.token, self.session, self.timeout = base_url, token, session, timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if method != "GET":
            headers.setdefault("Idempotency-Key", idempotency_key(method, path))
        try:
            response = self.session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise ApiError(503, "The API is not answering", str(error)) from None
        if response.status_code >= 400:
            raise ApiError.of(response)
        return response

    def get(self, path: str, params: Any = None) -> Any:
        return self._request("GET", path, params=params).json()

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self._answer("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None) -> Any:
        return self._answer("PATCH", path, json=json)

    def delete(self, path: str) -> Any:
        return self._answer("DELETE", path)

    def _answer(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        return response.json() if response.content else None

    def stream(self, path: str, params: Any = None) -> requests.Response:
        """A download, read as it arrives (CSV exports, PDFs, files)."""
        return self._request("GET", path, params=params, stream=True)

    def gather(self, **calls: tuple) -> tuple[dict[str, Any], dict[str, ApiError]]:
        """Several GETs at once: ``gather(order=("/orders/1",), unread=("/unread", params))``.
        Answers what came back and, apart, what failed."""
        futures = {name: _pool.submit(self.get, *args) for name, args in calls.items()}
        found, failed = {}, {}
        for name, future in futures.items():
            try:
                found[name] = future.result()
            except ApiError as error:
                failed[name] = error
        return found, failed


def chunks(response: requests.Response) -> Iterator[bytes]:
    """A streamed answer's body, closed when done or abandoned."""
    try:
        yield from response.iter_content(chunk_size=64 * 1024)
    finally:
        response.close()


def api() -> Api:
    """The public API as the signed-in person."""
    return Api(current_app.config["WEB_API_URL"], g.token, _session(), _timeout())


def admin_api() -> Api:
    """The admin gateway as the signed-in member of staff."""
    return Api(current_app.config["WEB_ADMIN_URL"], g.token, _session(), _timeout())


def _session() -> requests.Session:
    return current_app.extensions["web.http"]


def _timeout() -> float:
    return current_app.config["WEB_API_TIMEOUT_S"]
