"""``liner tag`` through the real CLI: exit codes, error records, dry run, and — with the real
embedded model — an end-to-end run that is SIGKILLed mid-batch, resumed, then replayed from cache."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linernotes.schema import OutputRecord
from linernotes.tools.retrieval.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "catalog.jsonl"


def _records(path: Path) -> list[OutputRecord]:
    return [OutputRecord.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def test_missing_input_is_a_usage_error(tmp_path: Path, liner) -> None:
    """A real ``liner`` process (the other exit-code tests run the same CLI in process)."""
    r = liner(["tag", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl")])
    assert r.returncode == 2
    assert "no such file" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_unwritable_output_is_a_usage_error(tmp_path: Path, liner_in_process) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = liner_in_process(["tag", str(EXAMPLE), "-o", str(blocker / "o.jsonl"), "--limit", "1"])
    assert r.returncode == 2 and "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["--llm", "sometimes"], "--llm: Input should be 'auto', 'always' or 'never' (got 'sometimes')"),
    (["--max-audio-seconds", "-1"], "--max-audio-seconds: Input should be greater than 0"),
    (["--timeout", "-3"], "--timeout: Input should be greater than 0"),
])
def test_bad_option_value_names_the_option(tmp_path: Path, liner_in_process, args, expected) -> None:
    """An option value the run config refuses names the option and the reason, on one line (it was
    pydantic's first line alone: "1 validation error for TagConfig")."""
    r = liner_in_process(["tag", str(EXAMPLE), "-o", str(tmp_path / "o.jsonl"), "--dry-run", *args])
    assert r.returncode == 2 and expected in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_rows_only_give_error_records_and_exit_1(tmp_path: Path, liner_in_process) -> None:
    cat = tmp_path / "bad.jsonl"
    cat.write_bytes(b'{"title": "no id"}\n{oops\n{"id": "a", "type": "film"}\n')
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", str(cat), "-o", str(out), "--no-progress"])
    assert r.returncode == 1, r.stderr
    recs = _records(out)
    assert [(x.status, x.error.kind, x.error.line) for x in recs] == [
        ("error", "input.missing_id", 1), ("error", "input.invalid_json", 2), ("error", "input.invalid", 3)]
    assert recs[2].id == "a"


def test_dry_run_with_map_never_shows_gold_columns(tmp_path: Path, liner_in_process) -> None:
    cat = tmp_path / "bc.jsonl"
    cat.write_text(json.dumps({"id": "bc1", "track": "Caught In The Middle", "artist": "James Ruskin",
                               "labelname": "Blueprint Records", "tags": "SECRET-TAG uk techno",
                               "gold_genres": ["GOLD-GENRE"]}) + "\n")
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--dry-run",
                          "--map", "title=track,label=labelname", "--drop", "tags,gold_genres"])
    assert r.returncode == 0, r.stderr
    assert "title: Caught In The Middle" in r.stdout and "label: Blueprint Records" in r.stdout
    assert "SECRET-TAG" not in r.stdout and "GOLD-GENRE" not in r.stdout
    assert "est. tokens in" in r.stdout
    assert not (tmp_path / "o.jsonl").exists(), "a dry run writes nothing"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(x) for x in task.read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ", 1)[1][0] != "Z"


@pytest.mark.slow
@pytest.mark.e2e
def test_embedded_run_killed_resumed_then_served_from_cache(tmp_path: Path) -> None:
    """Real subprocess, real SIGKILL, real model: no item lost or duplicated, then 0 LLM calls."""
    lines = EXAMPLE.read_text().splitlines()
    cat = tmp_path / "cat.jsonl"
    cat.write_text("\n".join(lines[:5]) + "\n")
    shutil.copytree(REPO / "examples" / "audio", tmp_path / "audio")  # a symlink would escape the audio root
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "LINER_CACHE_DIR": str(tmp_path / "cache")}
    base = [sys.executable, "-m", "linernotes.cli.app", "tag", str(cat), "--concurrency", "1", "--no-progress"]
    cmd = [*base, "-o", str(out)]

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server_pids: list[int] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        server_pids = _children(proc.pid) or server_pids
        if out.exists() and out.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read().decode()[-500:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    done_before = out.read_bytes().count(b"\n")
    assert 1 <= done_before < 5
    for pid in server_pids:  # the embedded server dies with its parent
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.05)
        assert not _alive(pid), f"embedded server {pid} outlived a SIGKILLed runner"

    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    recs = _records(out)
    assert sorted(x.id for x in recs) == sorted(json.loads(line)["id"] for line in lines[:5])
    assert len({x.id for x in recs}) == len(recs) == 5, "no duplicate, no loss"
    genres, podcasts, moods = (load_taxonomy(n) for n in ("music-genres", "podcast-categories", "moods"))
    for x in recs:
        assert x.status == "ok", x.error
        e = x.enrichment
        tax = genres if x.id.startswith("trk") else podcasts
        assert e.genres and all(g in tax for g in e.genres)
        assert all(m in moods for m in e.moods)
        assert -1 <= e.valence <= 1
        assert e.provenance.model.startswith("local:SmolLM2")
    audio_item = next(x for x in recs if x.id == "trk-001")
    assert audio_item.enrichment.evidence["audio"]["tempo_bpm"] > 0
    explicit_item = next(x for x in recs if x.id == "trk-003")
    assert explicit_item.enrichment.explicit.value is True

    fresh = tmp_path / "fresh.jsonl"
    r2 = subprocess.run([*base, "-o", str(fresh)], env=env, capture_output=True, text=True, timeout=300)
    assert r2.returncode == 0, r2.stderr
    assert "0 LLM calls made" in r2.stderr
    replay = {x.id: x for x in _records(fresh)}
    assert all(x.enrichment.provenance.llm_calls == 0 for x in replay.values())
    # an item that asked the LLM is answered from the cache; one the cascade decided from the
    # evidence asked nothing either time
    first = {x.id: x for x in recs}
    assert all(x.enrichment.provenance.cache_hit == first[i].enrichment.provenance.llm_consulted
               for i, x in replay.items())
    for x in recs:
        a = x.enrichment.model_dump(exclude={"provenance"})
        b = replay[x.id].enrichment.model_dump(exclude={"provenance"})
        assert a == b, f"cache replay differs for {x.id}"


def test_audio_stays_inside_the_catalog_folder_by_default(tmp_path: Path) -> None:
    from linernotes.config import TagConfig
    from linernotes.run.prepare import with_catalog_defaults

    cfg = with_catalog_defaults(TagConfig(), tmp_path / "cat.jsonl")
    assert cfg.audio_root == cfg.audio_base == str(tmp_path.resolve())
    explicit = with_catalog_defaults(TagConfig(audio_root="/music"), tmp_path / "cat.jsonl")
    assert explicit.audio_root == "/music"


def test_manifest_config_never_holds_url_credentials() -> None:
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.prepare import redacted_config

    cfg = TagConfig(llm=LLMConfig(model="openai/x", api_base="https://bob:sk-abc123456@h.example/v1?api-key=zzz&x=1"))
    base = redacted_config(cfg)["llm"]["api_base"]
    assert "sk-abc123456" not in base and "zzz" not in base and base.endswith("&x=1")
