"""Issue 13 items 2 and 3: token strength, throttled sign-in, session cookies that are not the
token, and loopback aliases accepted by the Host allowlist."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from linernotes.review.server import prepare
from linernotes.review.web.app import Settings, create_app
from linernotes.review.web.security import (
    BindError,
    LoginThrottle,
    check_bind,
    check_token,
    generate_token,
)

STRONG = "Zq7-wXb2Lm9cRt4VnK8pYh"


class FakeClock:
    """Test double for time.monotonic: advanced by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("token", [" ", "7391", "", "aaaaaaaaaaaaaaaaaaaaaaaa", "0101010101010101010101",
                                   "short-Mixed-9x", f" {STRONG}", f"{STRONG}\n"])
def test_weak_tokens_are_refused(built_store, token):
    with pytest.raises(BindError, match="--token"):
        check_token(token)
    with pytest.raises(BindError, match="--token"):
        prepare(built_store, host="0.0.0.0", token=token)
    with pytest.raises(BindError, match="--token"):
        prepare(built_store, host="127.0.0.1", token=token)  # a token given on loopback must be strong too


def test_strong_token_passes_and_loopback_needs_none(built_store):
    check_token(STRONG)
    check_bind("0.0.0.0", STRONG)
    check_bind("127.0.0.1", None)
    check_bind("::ffff:127.0.0.1", None)  # the IPv4 loopback written IPv4-mapped (QA qa-serve16: needed a token)
    with pytest.raises(BindError, match="--token"):
        check_bind("::ffff:10.0.0.1", None)
    assert prepare(built_store, host="0.0.0.0", token=STRONG) is not None


@pytest.mark.parametrize("token", ["7391", " "])
def test_cli_refuses_weak_token_with_exit_2_before_listening(liner, built_store, token):
    r = liner(["review", "serve", "--store", str(built_store), "--host", "0.0.0.0", "--port", "1", "--token", token],
              timeout=60)
    assert r.returncode == 2 and ("too weak" in r.stderr or "spaces at its ends" in r.stderr)
    assert "review UI on" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.fixture
def token_app(built_store):
    app = create_app(Settings(store=built_store, token=STRONG, loopback_only=False))
    clock = FakeClock()
    app.state.throttle.clock = clock
    return app, clock


def test_login_guessing_is_throttled_even_for_the_right_token(token_app):
    """The issue guessed a 4-digit token 7,392 times in 25 s; now the 6th wrong guess locks the client out."""
    app, clock = token_app
    with TestClient(app, base_url="http://review.lan:8765") as c:
        codes = [c.get("/login", params={"token": f"{n:04d}"}, follow_redirects=False).status_code
                 for n in range(200)]
        assert codes[:6] == [401] * 6 and set(codes[6:]) == {429}
        locked = c.get("/login", params={"token": STRONG}, follow_redirects=False)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        clock.t += 2  # the first lockout is 1 s; it doubles with every further failure
        assert c.get("/login", params={"token": "nope"}).status_code == 401
        assert c.get("/login", params={"token": STRONG}, follow_redirects=False).status_code == 429
        clock.t += 3
        assert c.get("/login", params={"token": STRONG}, follow_redirects=False).status_code == 303


def test_header_guessing_is_throttled_too(token_app):
    app, clock = token_app
    with TestClient(app, base_url="http://review.lan:8765") as c:
        codes = [c.get("/api/queue", headers={"X-Review-Token": f"guess-{n}"}).status_code for n in range(50)]
        assert codes[:6] == [401] * 6 and set(codes[6:]) == {429}
        assert c.get("/api/queue", headers={"X-Review-Token": STRONG}).status_code == 429
        clock.t += 10_000
        assert c.get("/api/queue", headers={"X-Review-Token": STRONG}).status_code == 200


def test_spreading_guesses_over_many_addresses_hits_the_global_limit():
    clock = FakeClock()
    t = LoginThrottle(free=5, global_free=50, window_s=60, clock=clock)
    for n in range(50):
        assert t.wait(f"10.0.0.{n}") == 0
        t.failed(f"10.0.0.{n}")
    assert t.wait("10.0.1.1") > 0  # a fresh address waits too
    clock.t += 61
    assert t.wait("10.0.1.1") == 0


def test_session_cookie_is_not_the_token_and_the_token_as_cookie_is_refused(token_app):
    app, _ = token_app
    with TestClient(app, base_url="http://review.lan:8765") as c:
        r = c.get("/login", params={"token": STRONG}, follow_redirects=False)
        assert r.status_code == 303
        cookie = c.cookies.get("liner_review_auth")
        assert cookie and STRONG not in cookie and len(cookie) >= 40
        assert c.get("/").status_code == 200
    with TestClient(app, base_url="http://review.lan:8765", cookies={"liner_review_auth": STRONG}) as c:
        assert c.get("/").status_code == 401
    with TestClient(app, base_url="http://review.lan:8765", cookies={"liner_review_auth": "forged-session"}) as c:
        assert c.get("/api/queue").status_code == 401


@pytest.mark.parametrize("host", ["127.0.0.2:8765", "127.0.0.2", "127.8.9.10:1", "[::1]:8765", "localhost:1",
                                  "[::ffff:127.0.0.1]:8765"])
def test_loopback_aliases_pass_the_host_allowlist(built_store, host):
    with TestClient(create_app(Settings(store=built_store)), base_url=f"http://{host}") as c:
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.2.nip.io", "localhost.attacker.example", "attacker.example:8765",
                                  "10.0.0.1", "[::ffff:10.0.0.1]:8765"])
def test_other_host_names_are_still_refused(built_store, host):
    with TestClient(create_app(Settings(store=built_store)), base_url=f"http://{host}") as c:
        assert c.get("/healthz").status_code == 421


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _serve(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "review", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def _wait_up(url: str, proc: subprocess.Popen, **kw) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            return httpx.get(url, timeout=2, **kw)
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("server did not come up")


@pytest.mark.slow
@pytest.mark.parametrize("host", ["127.0.0.2", "127.3.4.5"])
def test_real_server_bound_to_a_loopback_alias_answers(built_store, host):
    port = _free_port(host)
    proc = _serve(["--store", str(built_store), "--host", host, "--port", str(port)])
    try:
        r = _wait_up(f"http://{host}:{port}/healthz", proc)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        assert httpx.get(f"http://{host}:{port}/api/queue", timeout=5).status_code == 200
    finally:
        _stop(proc)


@pytest.mark.slow
def test_generated_token_is_printed_once_and_signs_in(built_store):
    port = _free_port("127.0.0.1")
    proc = _serve(["--store", str(built_store), "--host", "127.0.0.1", "--port", str(port), "--generate-token"])
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_up(base + "/healthz", proc).status_code == 401
        with httpx.Client(base_url=base) as c:
            assert c.get("/login", params={"token": "wrong"}).status_code == 401
    finally:
        err = _stop(proc)
    [token] = re.findall(r"access token \(shown once\): (\S+)", err)
    assert len(token) >= 40 and err.count(token) == 1
    proc = _serve(["--store", str(built_store), "--host", "127.0.0.1", "--port", str(port), "--token", token])
    try:
        _wait_up(base + "/healthz", proc)
        with httpx.Client(base_url=base) as c:
            r = c.get("/login", params={"token": token}, follow_redirects=True)
            assert r.status_code == 200 and "Review queue" in r.text
            assert c.cookies.get("liner_review_auth") not in (None, token)
    finally:
        _stop(proc)


@pytest.mark.parametrize("host", ["[::1]evil.example", "[::1]evil.example:8765", "[::1]:8765x", "127.0.0.1:80:80",
                                  "localhost:abc", "127.0.0.1 evil.example", "[127.0.0.1]:1"])
def test_malformed_host_headers_are_refused(built_store, host):
    """A Host that only starts like a loopback name is not one (before: '[::1]evil.example' was
    served because everything after ']' was ignored)."""
    with TestClient(create_app(Settings(store=built_store)), base_url="http://127.0.0.1") as c:
        assert c.get("/healthz", headers={"host": host}).status_code == 421


@pytest.mark.parametrize("host", ["LOCALHOST:8765", "LocalHost", "localhost.:8765", "127.0.0.1", "[::1]"])
def test_host_names_compare_case_insensitively_and_without_the_root_dot(built_store, host):
    """Host names are case-insensitive (RFC 3986 §3.2.2) and 'localhost.' is the same name as
    'localhost' (RFC 6761 §6.3); both were answered 421."""
    with TestClient(create_app(Settings(store=built_store)), base_url="http://127.0.0.1") as c:
        assert c.get("/healthz", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("token", ["Zq7+wXb2Lm9cRt4VnK8pYh", "Zq7#wXb2Lm9cRt4VnK8pYh", "Zq7&wXb2Lm9cRt4VnK8pYh",
                                   "Zq7%41wXb2Lm9cRt4VnK8pYh"])
def test_tokens_that_cannot_be_typed_into_the_sign_in_url_are_refused(built_store, token):
    """README: annotators open /login?token=... . With '+', '#', '&' or '%' the token
    typed there is not the token ('+' reads as a space, '#' ends the URL), so every
    sign-in fails and counts against the throttle."""
    app = create_app(Settings(store=built_store, token=token, loopback_only=False))
    with TestClient(app, base_url="http://review.lan:8765") as c:
        assert c.get(f"/login?token={token}", follow_redirects=False).status_code == 401  # as typed: locked out
    with pytest.raises(BindError, match="--token"):
        check_token(token)


@pytest.mark.parametrize("token", [STRONG, "abc.DEF_ghi~JKL-mno.123", "pässwörd-Zq7wXb2Lm9cRt4", None])
def test_allowed_tokens_sign_in_exactly_as_typed(built_store, token):
    token = token or generate_token()
    check_token(token)
    app = create_app(Settings(store=built_store, token=token, loopback_only=False))
    with TestClient(app, base_url="http://review.lan:8765") as c:
        assert c.get(f"/login?token={token}", follow_redirects=False).status_code == 303
