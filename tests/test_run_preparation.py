"""One run preparation for every runner: the same hostile config gets the same refusals and the
same redactions from the local runner, ``--workers 2``, Beam, ``liner eval`` and the service.

Hostile config: the catalog names audio outside its folder (a ``../`` path and an absolute one,
both real files), the run starts from another folder, and ``--api-base`` carries a key that is
not shaped like one (``?api_key=...``; only the config-aware redaction can know it), which the
endpoint also echoes in its error message. The endpoint is the STUB server (no model): seconds per runner.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from aiohttp import web

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.prepare import RunOptions
from linernotes.testing.openai_stub import StubServer

SECRET = "Hunter2-not-key-shaped-77"
LEAK = "LEAKME"
RUNNERS = ["local", pytest.param("workers", marks=pytest.mark.slow), "beam", "eval", "service"]


async def _echo_secret(body: dict[str, Any]) -> web.StreamResponse | None:
    """Fault injection: the provider echoes the caller's credentials for one item."""
    if LEAK in json.dumps(body):
        return web.json_response({"error": {"message": f"invalid credentials user:{SECRET} for {LEAK}"}}, status=401)
    return None


@pytest.fixture(scope="module")
def stub():
    with StubServer(intercept=_echo_secret) as s:
        yield s


@pytest.fixture
def hostile(tmp_path: Path, stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    folder, outside, elsewhere = tmp_path / "catalog", tmp_path / "outside", tmp_path / "elsewhere"
    for d in (folder, outside, elsewhere):
        d.mkdir()
    t = np.arange(8000) / 8000
    sf.write(outside / "song.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 8000)
    rows = [{"id": "rel", "title": "Night drive", "audio_path": "../outside/song.wav"},
            {"id": "abs", "title": "Morning", "audio_path": str(outside / "song.wav")},
            {"id": "leak", "title": f"{LEAK} song"}]
    catalog = folder / "c.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.chdir(elsewhere)  # relative paths must resolve against the catalog, not the cwd
    base = f"{stub.base_url}?api_key={SECRET}"  # (user-info in the URL: see test_tag_cli's manifest test)
    config = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base, use_cache=False, max_retries=0,
                                     transport="fast"), llm_mode="always")
    return {"folder": folder, "catalog": catalog, "rows": rows, "config": config, "out": tmp_path / "out"}


def _run(runner: str, h: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Run ``runner``; return its records (as JSON) and its manifest (None for the service)."""
    config, out = h["config"], h["out"]
    out.mkdir()
    opts = RunOptions(input=h["catalog"], output=out / "o.jsonl", concurrency=4)
    if runner in ("local", "workers"):
        from linernotes.run.parallel import run_parallel

        asyncio.run(run_parallel(config, opts, workers=2 if runner == "workers" else 1))
    elif runner == "beam":
        from linernotes.beam import run_beam

        run_beam(config, opts)
    elif runner == "eval":
        return _run_eval(h)
    else:
        return _run_service(h), None
    lines = (out / "o.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines], json.loads((out / "o.jsonl.manifest.json").read_text())


def _run_eval(h: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``liner eval`` over the same rows as gold (the spec lists no audio input: eval items never
    carry audio, so only the defaults and redaction are comparable)."""
    from linernotes.evals.run import EvalOptions, evaluate

    folder = h["folder"]
    (folder / "gold.jsonl").write_text("".join(json.dumps({**r, "ratings": 1.0}) + "\n" for r in h["rows"]))
    spec = folder / "hostile.yaml"
    spec.write_text("name: hostile\ndata: gold.jsonl\ninputs: {title: title}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n")
    out = h["out"] / "run.json"
    record = asyncio.run(evaluate(EvalOptions(spec=str(spec), output=out, resamples=0), h["config"]))
    record.save(out)
    preds = out.with_name("run.json.d") / "predictions.jsonl"
    manifest = json.loads(preds.with_name("predictions.jsonl.manifest.json").read_text())
    assert record.config["llm"]["api_base"] == manifest["config"]["llm"]["api_base"]
    return [json.loads(x) for x in preds.read_text().splitlines()], manifest


def _run_service(h: dict[str, Any]) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from linernotes.service.app import ServiceOptions, create_app

    app = create_app(h["config"], ServiceOptions(audio_root=h["folder"], log_dir=h["out"] / "log"))
    with TestClient(app, base_url="http://127.0.0.1") as client:  # a loopback Host, as the guard wants
        r = client.post("/v1/enrich", json={"items": h["rows"]})
    assert r.status_code == 200, r.text
    return r.json()["records"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_runner_refuses_and_redacts_the_same(runner: str, hostile: dict[str, Any]) -> None:
    records, manifest = _run(runner, hostile)
    ok = [r for r in records if r["status"] == "ok"]
    errors = [r for r in records if r["status"] == "error"]
    # the endpoint's 401 for the leaking item: the same error everywhere, its echoed password blanked
    assert [(e["error"]["kind"], SECRET in e["error"]["message"]) for e in errors] == [("llm.auth", False)]
    assert "[redacted]" in errors[0]["error"]["message"]
    if runner != "eval":  # audio outside the catalog folder is refused, never analysed
        kinds = sorted((r["id"], (r["enrichment"]["evidence"].get("audio_error") or {}).get("kind")) for r in ok)
        assert kinds == [("abs", "audio.outside_root"), ("rel", "audio.outside_root")]
        assert all(r["enrichment"]["evidence"].get("audio") is None for r in ok)
    if manifest is not None:  # the sandbox is recorded as applied, and the endpoint's password is not
        folder = str(hostile["folder"].resolve())
        assert manifest["config"]["audio_root"] == manifest["config"]["audio_base"] == folder
        assert manifest["config"]["llm"]["api_base"].endswith("/v1?api_key=[redacted]")
        # the embedded engine's slots are each process's share of the 4 items in flight
        assert manifest["config"]["llm"]["parallel"] == (2 if runner == "workers" else 4)
    for path in hostile["out"].rglob("*"):  # records, manifests, dead letters, logs, the run record
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


def test_embedded_slots_are_worked_out_per_worker_process(tmp_path: Path) -> None:
    """``--concurrency C --workers N``: each worker's embedded server gets ceil(C / N) slots (at
    most 8), not the global C; an explicit ``parallel`` is kept."""
    from linernotes.run.prepare import prepare_run

    def slots(concurrency: int, workers: int = 1, **llm: Any) -> int | None:
        opts = RunOptions(input=tmp_path / "c.jsonl", output=tmp_path / "o.jsonl", concurrency=concurrency)
        return prepare_run(TagConfig(llm=LLMConfig(**llm)), opts, workers=workers).config.llm.parallel

    assert (slots(8), slots(8, 2), slots(3, 2), slots(64), slots(64, 4), slots(1, 4)) == (8, 4, 2, 8, 8, 1)
    assert slots(8, 2, parallel=3) == 3
