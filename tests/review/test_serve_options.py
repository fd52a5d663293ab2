"""``liner review serve`` refuses a host or audio root it cannot use, before printing a URL, with
the rules ``liner serve`` already had (found by QA): ``--host ''`` with a token bound every
interface and printed 'review UI on http://:8765/'; '127.0.0.1:80' was told 'a non-loopback
address needs --token'; '[::1]' read 'Name or service not known'; ``--audio-root`` naming a
missing folder or a file started the server and every item's audio was a silent 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.review.build import build_store
from tests.conftest import run_liner_in_process
from tests.review.conftest import vader_row

TOKEN = "Abcdefghijk0123456789xyz"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import json

    tmp = tmp_path_factory.mktemp("serve-options")
    (tmp / "g.jsonl").write_text(json.dumps(vader_row("a", [1, 2, 1, 2])) + "\n", encoding="utf-8")
    build_store(tmp / "s.sqlite", gold=tmp / "g.jsonl")
    return tmp / "s.sqlite"


@pytest.mark.parametrize(("args", "says"), [
    (["--host", "", "--token", TOKEN], "cannot listen on '': no address given"),
    (["--host", "   "], "cannot listen on '   ': no address given"),
    (["--host", "127.0.0.1:80"], "cannot listen on 127.0.0.1:80: an address with a port"),
    (["--host", "[::1]"], "cannot listen on [::1]: give an IPv6 address without its brackets (::1)"),
    (["--host", "256.1.1.1", "--token", TOKEN], "cannot listen on 256.1.1.1: not an IPv4 address"),
])
def test_a_host_that_is_no_address_is_refused(store: Path, args: list[str], says: str) -> None:
    r = run_liner_in_process(["review", "serve", "--store", store, "--port", "18799", *args])
    assert r.returncode == 2, r.stderr
    assert says in r.stderr and "http://" not in r.stderr, r.stderr


def test_an_audio_root_that_is_no_folder_is_refused(store: Path, tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for root, says in ((afile, "not a folder"), (tmp_path / "nope", "no such folder")):
        r = run_liner_in_process(["review", "serve", "--store", store, "--port", "18799", "--audio-root", root])
        assert r.returncode == 2, r.stderr
        assert f"--audio-root {root}: {says}" in r.stderr and "http://" not in r.stderr, r.stderr


def test_a_good_audio_root_and_host_prepare_the_app(store: Path, tmp_path: Path) -> None:
    from linernotes.review.server import prepare

    assert prepare(store, host="::1", audio_root=tmp_path) is not None


def test_review_build_refuses_an_audio_root_that_is_no_folder(tmp_path: Path) -> None:
    """build keeps --audio-root in the store and serve uses it: a missing one made every item's
    audio a silent 404 at serve time, with nothing said at build."""
    import json

    (tmp_path / "g.jsonl").write_text(json.dumps(vader_row("a", [1, 2, 1, 2])) + "\n", encoding="utf-8")
    r = run_liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", tmp_path / "g.jsonl",
                              "--audio-root", tmp_path / "nope"])
    assert r.returncode == 2 and f"--audio-root {tmp_path / 'nope'}: no such folder" in r.stderr, r.stderr
    assert not (tmp_path / "s.sqlite").exists()
