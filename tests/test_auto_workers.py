"""issue 16, "workers as needed": the default --workers is chosen from cores, memory and the run;
explicit --workers wins (the CLI chooses only when it is not given); the choice of more than one
process is printed once on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.llm.config import LLMConfig
from linernotes.run.workers import (
    MIN_ITEMS_PER_WORKER,
    PARENT_MB,
    WORKER_MB_HTTP,
    WORKER_MB_LITELLM,
    choose_workers,
    machine,
)

API = TagConfig(llm=LLMConfig(model="openai/m", api_base="http://127.0.0.1:9/v1"), llm_mode="always")
BIG = 100 * 1024  # MB: memory is no bound


def test_an_api_run_at_high_concurrency_gets_one_worker_per_core() -> None:
    c = choose_workers(API, 10_000, 64, cores=2, available_mb=BIG)
    assert c.workers == 2 and "bound by cores" in c.reason
    assert choose_workers(API, 10_000, 64, cores=8, available_mb=BIG).workers == 4, "64 in flight / 16"


@pytest.mark.parametrize(("config", "items", "concurrency", "why"), [
    (TagConfig(), 10_000, 64, "embedded"),  # the default model: its threads are the bound
    (TagConfig(llm=LLMConfig(model="local:/x/m.gguf")), 10_000, 64, "embedded"),
    (API, MIN_ITEMS_PER_WORKER * 2 - 1, 64, "items"),  # a small run: startup would dominate
    (API, 10_000, 8, "in flight"),  # one process keeps up with 8 in flight
])
def test_small_runs_low_concurrency_and_the_embedded_model_get_one_process(config, items, concurrency, why) -> None:
    c = choose_workers(config, items, concurrency, cores=8, available_mb=BIG)
    assert c.workers == 1 and why in c.reason, c


def test_llm_never_is_cpu_bound_at_any_concurrency_and_memory_bounds_everything() -> None:
    never = API.model_copy(update={"llm_mode": "never"})
    assert choose_workers(never, 10_000, 4, cores=4, available_mb=BIG).workers == 4
    fits_one = PARENT_MB + WORKER_MB_HTTP + WORKER_MB_HTTP // 2
    assert choose_workers(API, 10_000, 64, cores=4, available_mb=fits_one).workers == 1
    # LiteLLM's import makes a worker bigger: fewer fit
    litellm = API.model_copy(update={"llm": API.llm.model_copy(update={"transport": "litellm"})})
    mb = PARENT_MB + 2 * WORKER_MB_HTTP
    assert choose_workers(API, 10_000, 64, cores=4, available_mb=mb).workers == 2
    assert (mb - PARENT_MB) // WORKER_MB_LITELLM == 1
    assert choose_workers(litellm, 10_000, 64, cores=4, available_mb=mb).workers == 1


@pytest.mark.slow  # starts worker processes
def test_the_cli_chooses_and_prints_the_choice_once(tmp_path: Path, liner_in_process, monkeypatch) -> None:
    # the wiring, not the tuning: a run of 2 x MIN_ITEMS_PER_WORKER items, with the constant made
    # small so the run is 12 items (choose_workers' rules are tested above at their values);
    # the time is the two workers' startup
    monkeypatch.setattr("linernotes.run.workers.MIN_ITEMS_PER_WORKER", 6)
    n = 12
    cat = tmp_path / "cat.jsonl"
    cat.write_text("".join(json.dumps({"id": f"w{i}", "title": f"Song {i}", "description": "calm ambient"}) + "\n"
                           for i in range(n)))
    env = {"LINER_CACHE_DIR": str(tmp_path / "cache")}
    cores, _ = machine()
    r = liner_in_process(["tag", cat, "-o", tmp_path / "a.jsonl", "--llm", "never", "--no-progress",
                          "--model", "openai/m", "--api-base", "http://127.0.0.1:9/v1"], env=env)
    assert r.returncode == 0, r.stderr
    chosen = [ln for ln in r.stderr.splitlines() if ln.startswith("liner: --workers")]
    if cores >= 2:
        assert len(chosen) == 1 and chosen[0].startswith("liner: --workers 2 (") and "--workers N" in chosen[0], \
            r.stderr
    manifest = json.loads((tmp_path / "a.jsonl.manifest.json").read_text())
    assert manifest["runner"] == ("workers" if cores >= 2 else "local")
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == n
