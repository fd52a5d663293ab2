"""A custom ``--prompt FILE.md`` that cannot work is refused at load, naming the file (and line):
QA (session 12) ran ``Tag {title} {nosuch} {{`` as a prompt: no ``---`` line, so the whole file
became the system text and the user message was empty on every item, silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.agents.runtime import PromptError, load_prompt

SHIPPED = (Path(__file__).resolve().parents[1] / "agents" / "prompts" / "extract.v2.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("Tag {title} {nosuch} {{", "p.md:", "no line '---'"),
    ("", "p.md:", "no line '---'"),
    ("You tag.\n---\n\n", "p.md:", "user template after the '---' line is empty"),
    ("\n---\n{{ content }}\n", "p.md:", "system instructions before the '---' line is empty"),
    ("You tag.\nBe brief.\n---\nITEM: {{ content }}\n{% for x in evidence.genres %}\n", "p.md:5:", "template syntax"),
    ("You tag.\n---\n{{ content }} {{ nosuch }}\n", "p.md:", "uses nosuch, which the tagger does not provide"),
    ("You tag.\n---\n{{ content }}\nTitle: {title}\n", "p.md:4:", "{title} is not a placeholder here"),
    ("You tag.\n---\nAnswer in JSON.\n", "p.md:", "never shows the item"),
    # a known variable's unknown attribute failed on every item at render (internal.UndefinedError
    # records) and --dry-run ended in a traceback (a new user's probe)
    ("You tag.\n---\n{{ content }}\nYear: {{ item.nosuch.deeper }}\n", "p.md:4:",
     "item.nosuch: the item has no attribute 'nosuch' (it has: album, artist,"),
    ("You tag.\n---\n{{ content }}{% for c in evidence.genress %}{{ c.id }}{% endfor %}\n", "p.md:3:",
     "evidence.genress: the evidence has no attribute 'genress'"),
])
def test_a_prompt_that_cannot_work_is_refused_naming_the_file(tmp_path: Path, text: str, where: str, reason: str) -> None:
    p = tmp_path / "p.md"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError) as e:
        load_prompt(str(p))
    assert str(e.value).startswith(str(tmp_path / where)) and reason in str(e.value), str(e.value)


def test_a_copy_of_the_shipped_prompt_loads_and_renders_like_it(tmp_path: Path) -> None:
    p = tmp_path / "mine.md"
    p.write_text(SHIPPED, encoding="utf-8")
    assert load_prompt(str(p)).hash == load_prompt("extract.v2").hash
    assert load_prompt("extract.v1").system  # both shipped prompts pass the checks


@pytest.mark.parametrize(("text", "said"), [
    ("Tag {title} {nosuch} {{", ": no line '---'"),
    # an unknown attribute of a known variable ended --dry-run in a traceback (a new user's probe)
    ("Tag it.\n---\n{{ content }} {{ item.nosuch }}\n", ":3: item.nosuch: the item has no attribute 'nosuch'"),
    # an expression that fails at render: jinja2's traceback, naming neither the prompt nor the item
    ("Tag it.\n---\n{{ content }} {{ evidence.genres[50].id }}\n",
     ": the user template cannot be rendered for item 'a': UndefinedError: list object has no element 50"),
])
def test_liner_tag_with_a_broken_prompt_exits_2_before_any_item(tmp_path: Path, liner_in_process, text: str,
                                                                said: str) -> None:
    cat = tmp_path / "c.jsonl"
    cat.write_text(json.dumps({"id": "a", "title": "Night Drive"}) + "\n")
    bad = tmp_path / "bad.md"
    bad.write_text(text, encoding="utf-8")
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--llm", "always", "--dry-run",
                          "--prompt", str(bad)])
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{bad}{said}" in " ".join(r.stderr.split()) and "Traceback" not in r.stderr


def test_an_unknown_prompt_name_or_missing_file_is_named_with_what_ships(tmp_path: Path, liner_in_process) -> None:
    # it read '[Errno 2] No such file or directory: '/.../agents/prompts/nosuch.md'', naming the
    # install's folder and not the shipped names (session 13)
    with pytest.raises(PromptError, match=r"--prompt nosuch: no shipped prompt of that name \(shipped: extract\.v1, "
                                          r"extract\.v2; or give the path of a \.md file\)"):
        load_prompt("nosuch")
    with pytest.raises(PromptError, match=r"nope\.md: no such prompt file"):
        load_prompt(str(tmp_path / "nope.md"))
    cat = tmp_path / "c.jsonl"
    cat.write_text(json.dumps({"id": "a", "title": "x"}) + "\n")
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--prompt", "nosuch", "--llm", "never"])
    assert r.returncode == 2 and "no shipped prompt of that name" in r.stderr and "Errno" not in r.stderr, r.stderr
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("kind", ["fifo", "folder", "latin1"])
def test_a_prompt_path_that_is_not_a_utf8_file_is_named_for_what_it_is(tmp_path: Path, liner_in_process,
                                                                       kind: str) -> None:
    """``--prompt p.md`` naming a FIFO, a folder or a file that is not UTF-8: one line saying so,
    exit 2, no wait. Before: 'no such prompt file' for the FIFO and the folder (they exist), and a
    UnicodeDecodeError for the Latin-1 file."""
    import os
    import threading

    p = tmp_path / "p.md"
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "folder":
        p.mkdir()
    else:
        p.write_bytes("Tu es un tagueur. Caf\xe9\n---\n{{ content }}\n".encode("latin-1"))
    want = {"fifo": "is a FIFO", "folder": "is a folder", "latin1": "not UTF-8 text"}[kind]
    got: list[BaseException] = []
    reader = threading.Thread(target=lambda: got.append(pytest.raises(PromptError, load_prompt, str(p)).value),
                              daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "load_prompt waited on the path"
    assert want in str(got[0]) and str(p) in str(got[0]), got
    cat = tmp_path / "c.jsonl"
    cat.write_text(json.dumps({"id": "a", "title": "x"}) + "\n")
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--prompt", str(p), "--llm", "never"])
    assert r.returncode == 2 and want in r.stderr and "Traceback" not in r.stderr, r.stderr
