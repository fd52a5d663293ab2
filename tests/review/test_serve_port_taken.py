"""liner review serve on a port another program holds (QA, session 16): it printed 'review UI on
http://127.0.0.1:PORT/ (Ctrl-C to stop)', then uvicorn logged 'ERROR: [Errno 98] error while
attempting to bind ... address already in use' and the command exited 3. Now the socket is bound
before anything is printed: exit 2 naming the address and the way out, no URL announced."""

from __future__ import annotations

import socket
from pathlib import Path

from linernotes.review.build import build_store
from linernotes.signals.spec import load_signals


def test_a_taken_port_is_named_exit_2(liner_in_process, tmp_path: Path) -> None:
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "a", "type": "track", "title": "A"}\n', encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=load_signals([tmp_path / "rude.yaml"]))
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        r = liner_in_process(["review", "serve", "--store", tmp_path / "s.sqlite", "--port", str(port)])
    assert r.returncode == 2, r.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "choose another --port" in r.stderr
    assert "review UI on" not in r.stderr + r.stdout
