"""``liner serve``'s own options at their edges: refused before anything loads (exit 2, the option
named, no traceback), and the address it announces is one a client can open."""

from __future__ import annotations

import pytest

from linernotes.service.server import base_url


@pytest.mark.parametrize("value", ["inf", "1e308"])
@pytest.mark.parametrize("option", ["--max-body-mb", "--log-max-mb"])
def test_a_size_past_any_use_is_refused_naming_the_option(liner_in_process, tmp_path, option, value):
    """QA: '--max-body-mb inf' and '--log-max-mb 1e308' ended in 'OverflowError: cannot convert
    float infinity to integer' (a traceback from the MB-to-bytes conversion)."""
    r = liner_in_process(["serve", "--port", "9", "--llm", "never", "--log-dir", str(tmp_path / "logs"), option, value])
    assert r.returncode == 2, r.stderr
    assert option in r.stderr and "Traceback" not in r.stderr and "OverflowError" not in r.stderr, r.stderr


def test_an_ipv6_address_is_announced_in_brackets():
    """QA: 'liner serve --host ::1' announced 'http://::1:8780/', which curl and browsers cannot open."""
    import httpx

    for host in ("::1", "2001:db8::5", "127.0.0.1", "localhost"):
        url = httpx.URL(base_url(host, 8780))
        assert (url.host, url.port, url.path) == (host, 8780, "/"), url


def test_an_audio_root_that_is_not_a_folder_is_refused_as_liner_tag_refuses_it(liner, tmp_path):
    """QA: 'liner serve --audio-root /etc/passwd' (or a missing folder) started and served; every
    request's audio path then lay outside the root and items were tagged without their audio.
    liner tag refuses both (2314e65); serve passed the option around that check."""
    from linernotes.llm.embedded import free_port

    afile = tmp_path / "afile"
    afile.write_text("x")
    for root, says in ((afile, "not a folder"), (tmp_path / "nope", "no such folder")):
        # a real process, bounded: before the fix it served (for good) instead of refusing
        r = liner(["serve", "--port", str(free_port()), "--llm", "never", "--audio-root", str(root)], timeout=90)
        assert r.returncode == 2, r.stderr
        assert f"--audio-root {root}: {says}" in r.stderr and "http://" not in r.stderr, r.stderr


@pytest.mark.parametrize(("host", "says"), [
    ("", "cannot listen on '': no address given"),
    ("256.1.1.1", "cannot listen on 256.1.1.1: not an IPv4 address"),
    ("127.0.0.1:8780", "cannot listen on 127.0.0.1:8780: an address with a port: give the address alone and "
                       "the port with --port"),
    ("[::1]", "cannot listen on [::1]: give an IPv6 address without its brackets (::1)"),
])
def test_a_host_that_is_no_address_is_named_as_such_not_told_to_get_a_token(liner_in_process, host, says):
    """QA: '--host 256.1.1.1', '--host 127.0.0.1:8780' and '--host ""' were each 'refusing to listen
    on ...: a non-loopback address needs --token'; with a token the first two then failed on the
    name ('Name or service not known', as '[::1]' did at once), and the blank one listened on every
    interface (getaddrinfo's wildcard)."""
    for token in ([], ["--token", "k3Yq9vT2mXa7LpR4wZ8cN6"]):
        r = liner_in_process(["serve", "--host", host, "--port", "9", "--llm", "never", *token])
        assert r.returncode == 2 and says in r.stderr and "needs --token" not in r.stderr, r.stderr
