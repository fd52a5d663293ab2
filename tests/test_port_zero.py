"""``liner serve`` and ``liner review serve`` take ``--port 0`` (QA session 25: both refused it,
'0 is not in the range 1<=x<=65535'): the OS chooses a free port, and the startup line names the
port the server listens on, not 0, so a test or a parallel user finds the server from it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from linernotes.review.build import build_store
from linernotes.signals.spec import load_signals


def _started(args: list[str], log: Path, timeout: float = 90) -> tuple[subprocess.Popen[str], str]:
    """``liner ARGS`` as its own process, stderr into ``log``; (process, the URL its startup line names)."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", *args], stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout
    while not (found := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())):
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "no startup line: " + log.read_text()
        time.sleep(0.2)
    return proc, found.group(0)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _answers(url: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url + "healthz", timeout=2).status_code
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"{url} does not answer"
            time.sleep(0.2)


def test_review_serve_on_port_0_names_the_port_it_listens_on(tmp_path: Path) -> None:
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "a", "type": "track", "title": "A"}\n', encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=load_signals([tmp_path / "rude.yaml"]))
    proc, url = _started(["review", "serve", "--store", str(tmp_path / "s.sqlite"), "--port", "0"], tmp_path / "log")
    try:
        assert not url.endswith(":0/"), url
        assert _answers(url) == 200
    finally:
        _stop(proc)


def test_liner_serve_on_port_0_names_the_port_it_listens_on(tmp_path: Path) -> None:
    proc, url = _started(["serve", "--port", "0", "--llm", "never"], tmp_path / "log")
    try:
        assert not url.endswith(":0/"), url
        assert _answers(url) == 200
    finally:
        _stop(proc)


def test_two_servers_on_port_0_get_two_ports(tmp_path: Path) -> None:
    """What port 0 is for: parallel users never collide on a fixed default."""
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "a", "type": "track", "title": "A"}\n', encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=load_signals([tmp_path / "rude.yaml"]))
    args = ["review", "serve", "--store", str(tmp_path / "s.sqlite"), "--port", "0"]
    first, url1 = _started(args, tmp_path / "log1")
    try:
        second, url2 = _started(args, tmp_path / "log2")
        try:
            assert url1 != url2 and _answers(url1) == 200 and _answers(url2) == 200
        finally:
            _stop(second)
    finally:
        _stop(first)
