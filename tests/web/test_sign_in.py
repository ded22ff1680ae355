"""Signing in to the dashboard, over plain HTTP: the API's tokens, the cookie that keeps them,
and the CSRF check on every form."""

import re

import jwt
import requests

from e2e.conftest import token
from support.orders import MANUFACTURING_ORDER
from support.waiting import eventually

SIGN_IN = "/sign-in"


def csrf_of(session, url):
    page = session.get(url, timeout=15)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_token_the_api_accepts_signs_in_and_is_kept_in_an_httponly_samesite_cookie(system):
    session = requests.Session()
    csrf = csrf_of(session, system.web_url + SIGN_IN)
    signed = session.post(
        system.web_url + SIGN_IN,
        data={"csrf_token": csrf, "token": token("alice", "buyer", "acme-web")},
        allow_redirects=False,
        timeout=15,
    )
    assert signed.status_code == 302, signed.text
    cookies = signed.raw.headers.getlist("Set-Cookie")
    cookie = next(c for c in cookies if c.startswith("mp_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    board = session.get(system.web_url + "/board", timeout=15)
    assert board.status_code == 200 and "alice · buyer · acme-web" in board.text


def test_a_token_the_api_refuses_is_not_kept_and_the_page_says_why(system):
    session = requests.Session()
    csrf = csrf_of(session, system.web_url + SIGN_IN)
    forged = jwt.encode(
        {"sub": "mallory", "role": "admin", "org": "platform", "exp": 4102444800},
        "not-the-gateways-secret-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    refused = session.post(
        system.web_url + SIGN_IN, data={"csrf_token": csrf, "token": forged}, timeout=15
    )
    assert refused.status_code == 400
    assert "The API refused this token" in refused.text
    assert "mp_token" not in session.cookies
    assert (
        session.get(system.web_url + "/board", allow_redirects=False, timeout=15)
        .headers["Location"]
        .startswith("/sign-in")
    )


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(system, market):
    m = market("web-csrf")
    m.place(MANUFACTURING_ORDER)  # the supplier hears of it: an unread notification
    supplier = m.supplier
    assert eventually(lambda: supplier.get("/notifications/count").json()["unread"] > 0, 20)
    before = supplier.get("/notifications/count").json()
    session = requests.Session()
    session.cookies.set("mp_token", token("sam", "supplier", supplier.org))
    csrf_of(session, system.web_url + "/board")  # a session exists, with its own CSRF token
    forged = session.post(system.web_url + "/notifications/read-all", timeout=15)
    assert forged.status_code == 400 and "The form expired" in forged.text
    # Had read-all run, the count would now be 0.
    assert supplier.get("/notifications/count").json() == before


def test_demo_users_are_offered_only_when_the_dev_flag_is_set(system):
    page = requests.get(system.web_url + SIGN_IN, timeout=15)
    assert "Demo users" not in page.text  # the tests' system, like production, has no flag
    session = requests.Session()
    csrf = csrf_of(session, system.web_url + SIGN_IN)
    demo = session.post(
        system.web_url + "/sign-in/demo", data={"csrf_token": csrf, "user": "ada"}, timeout=15
    )
    assert demo.status_code == 404
