"""Retrieval from the outside: the ``liner tools retrieve`` command and the graph's tools node."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from linernotes.agents.nodes.run_tools import run_tools
from linernotes.agents.runtime import build_runtime
from linernotes.cli.tools_cmd import tools_app
from linernotes.config import TagConfig
from linernotes.fusion.observation import Observation
from linernotes.schema import Item
from linernotes.tools.retrieval.exemplars import build_exemplar_index

EXEMPLARS = [
    {"id": f"x{i}", "text": f"Track {i} \nAstral Projection \nTrust In Trance \nParvati Records",
     "genres": ["psytrance", "goa-trance"]} for i in range(3)
] + [{"id": "h1", "text": "Let The Music Play \nDefected Ibiza \nDefected Records", "genres": ["house"]}]


@pytest.mark.slow
def test_cli_retrieve_prints_json_candidates(liner):
    plain = liner(["tools", "retrieve", "Strictly Deep House Classics", "-k", "3"])
    assert plain.returncode == 0, plain.stderr
    data = json.loads(plain.stdout)
    assert data["taxonomy"].startswith("music-genres@") and len(data["candidates"]) == 3
    assert data["candidates"][0]["id"] == "deep-house"


def test_retrieve_command_with_exemplars_moods_and_errors(tmp_path):
    build_exemplar_index(EXEMPLARS, tmp_path / "ix")
    runner = CliRunner()
    voted = runner.invoke(tools_app, ["retrieve", "New One \nAstral Projection \nParvati Records", "--exemplars",
                                      str(tmp_path / "ix"), "-k", "5"])
    assert voted.exit_code == 0, voted.output
    data = json.loads(voted.stdout)
    assert data["candidates"][0]["id"] in {"psytrance", "goa-trance"}
    assert "similar items" in data["candidates"][0]["why"]
    assert data["exemplars"][0]["id"].startswith("x")
    moods = runner.invoke(tools_app, ["retrieve", "a melancholic night", "--taxonomy", "moods", "-k", "2"])
    assert json.loads(moods.stdout)["candidates"][0]["id"] == "sad"
    missing = runner.invoke(tools_app, ["retrieve", "x", "--taxonomy", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "not found" in missing.stderr
    not_index = runner.invoke(tools_app, ["retrieve", "x", "--exemplars", str(tmp_path)])
    assert not_index.exit_code == 2 and "not an exemplar index" in not_index.stderr


async def test_tools_node_uses_exemplar_votes_and_few_shots(tmp_path):
    build_exemplar_index(EXEMPLARS, tmp_path / "ix")
    rt = build_runtime(TagConfig(exemplars=str(tmp_path / "ix")), llm=object())
    assert "exemplars" in rt.tool_versions
    item = Item(id="q", title="New One", artist="Astral Projection", label="Parvati Records")
    state = await run_tools({"item": item, "plan": ["shortlist", "moods", "exemplars"]}, rt)
    ev = state["evidence"]
    assert ev.genres[0].id in {"psytrance", "goa-trance"} and ev.genres[0].score > 0.5
    assert len(ev.exemplars) == 3 and all(e.genres for e in ev.exemplars)
    # the index's size is tag-time evidence (fusion calibrates the genres confidence by it)
    assert ev.exemplar_index_size == len(EXEMPLARS) and Observation(item, ev.model_dump(), None).index_size == len(EXEMPLARS)
    without = await run_tools({"item": item, "plan": ["shortlist", "moods"]}, build_runtime(TagConfig(), llm=object()))
    assert without["evidence"].exemplar_index_size is None


def test_index_build_command_from_gold_then_from_a_run(tmp_path):
    from linernotes.cli.index_cmd import index_app

    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": f"g{i}", "track": f"T{i}", "artist": "A", "labelname": "L",
                                        "tags": "secret", "gold_genres": ["Techno"]}) + "\n" for i in range(3)))
    runner = CliRunner()
    first = runner.invoke(index_app, ["build", str(gold), "-o", str(tmp_path / "ix")])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) | {"folder": ""} == {"folder": "", "added": 3, "total": 3, "skipped": 0,
                                                          "embedder": "wordllama:128", "ann": False}
    catalog = tmp_path / "cat.jsonl"
    catalog.write_text(json.dumps({"id": "n1", "title": "New", "artist": "B"}) + "\n")
    run_out = tmp_path / "out.jsonl"
    run_out.write_text(json.dumps({"id": "n1", "status": "ok",
                                   "enrichment": {"genres": ["house"], "review": {"routed": False}}}) + "\n")
    second = runner.invoke(index_app, ["build", str(run_out), "--catalog", str(catalog), "-o", str(tmp_path / "ix")])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["added"] == 1 and json.loads(second.stdout)["total"] == 4
    assert "secret" not in (tmp_path / "ix" / "records.jsonl").read_text()
    bad = runner.invoke(index_app, ["build", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "ix2")])
    assert bad.exit_code == 2
