"""A new user's first hour (issue 12, item 14), through the real CLI: a dry run says why rows are
bad and how to fix a missing id; the README's ``liner index build --gold`` works and applies
``--map``; audio problems show in the run summary; progress is logged when stderr is not a
terminal; ``--version``; examples in every command's help; a refused review bind prints no URL."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from linernotes.run.progress import ProgressLog, Snapshot, duration, progress_line

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stub():
    from linernotes.testing.openai_stub import StubServer

    with StubServer(latency_ms=250) as s:
        yield s


def _stub_env(tmp_path: Path) -> dict[str, str]:
    return {"OPENAI_API_KEY": "sk-stub-not-a-key", "LINER_CACHE_DIR": str(tmp_path / "cache")}


# --- dry run: why rows are bad ----------------------------------------------------------------

@pytest.mark.slow  # real CLI runs that build the tool runtime or an index
@pytest.mark.parametrize(("header", "suggestion"), [
    ("track_id,title,artist", "--map id=track_id"),  # the reported kind: the ids are under another name
    ("isrc,title,artist", "--map id=isrc"),
    ("name,title,artist", "--map id=<column>"),  # nothing looks like an id: show the form
])
def test_dry_run_without_an_id_column_says_why_and_how(tmp_path: Path, liner_in_process, header: str,
                                                     suggestion: str) -> None:
    cat = tmp_path / "cat.csv"
    cat.write_text(header + "\n" + "".join(f"t{i},Song {i},Band\n" for i in range(6)))
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--dry-run"], env=_stub_env(tmp_path))
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "bad rows │ 6" in text or re.search(r"bad rows\s*\S?\s*6", text), r.stdout
    # the row by catalog, line and its record's id (spaces left out: the console may break the path)
    assert "".join(f"{cat}:2 id 'line:2': input.missing_id (6 rows)".split()) in "".join(text.split())
    assert f"columns: {header.replace(',', ', ')}" in text and suggestion in text
    assert "Provider List" not in r.stdout + r.stderr


@pytest.mark.slow  # real CLI runs that build the tool runtime or an index
def test_dry_run_lists_one_example_per_bad_row_kind(tmp_path: Path, liner_in_process) -> None:
    cat = tmp_path / "cat.jsonl"
    cat.write_text('{"id": "a", "title": "ok"}\n{"id": "b", "year": "soon"}\n{oops\n{"id": "c", "year": "later"}\n')
    r = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--dry-run"], env=_stub_env(tmp_path))
    text = "".join(r.stdout.split())  # spaces left out: the console may break the catalog's path anywhere
    assert "".join(f"{cat}:2 id 'b': input.invalid (2 rows): year: year 'soon' is not a number".split()) in text
    assert "".join(f"{cat}:3 id 'line:3': input.invalid_json (1 row)".split()) in text
    assert f"{cat}:4" not in text, "one example per kind"


# --- liner index build --gold, as the README writes it -----------------------------------------

@pytest.mark.slow  # real CLI runs that build the tool runtime or an index
def test_index_build_gold_as_in_the_readme(tmp_path: Path, liner) -> None:
    readme = (REPO / "README.md").read_text()
    assert "liner index build --gold labeled.jsonl -o exemplars/" in readme
    gold = tmp_path / "labeled.jsonl"
    gold.write_text(json.dumps({"id": "x1", "title": "Warehouse techno", "gold_genres": ["Techno"]}) + "\n"
                    + json.dumps({"id": "x2", "title": "Forró de rabeca", "gold_genres": ["Forró"]}) + "\n")
    r = liner(["index", "build", "--gold", str(gold), "-o", str(tmp_path / "ex")])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 2


@pytest.mark.slow  # real CLI runs that build the tool runtime or an index
def test_index_build_applies_map_to_a_gold_file(tmp_path: Path, liner_in_process) -> None:
    liner = liner_in_process  # the subprocess `liner index build` is test_index_build_gold_as_in_the_readme
    gold = tmp_path / "labeled.csv"
    gold.write_text("track_id,track,tags\nb1,Deep dub techno,dub techno\nb2,Acid house jam,acid house\n")
    args = ["index", "build", "--gold", str(gold), "--genres-field", "tags", "-o", str(tmp_path / "ex")]
    unmapped = liner(args)
    assert unmapped.returncode == 0 and json.loads(unmapped.stdout)["added"] == 0, "no id column, no text"
    mapped = liner([*args[:-2], "--map", "id=track_id,title=track", "-o", str(tmp_path / "ex2")])
    assert mapped.returncode == 0, mapped.stderr
    assert json.loads(mapped.stdout)["added"] == 2
    from linernotes.tools.retrieval.exemplars import open_exemplar_index

    hit = open_exemplar_index(tmp_path / "ex2").search("dub techno", 1)[0]
    assert hit.id == "b1" and hit.genres == ["dub-techno"]


@pytest.mark.parametrize("args", [[], ["labeled.jsonl", "--gold", "labeled.jsonl"],
                                  ["--gold", "labeled.jsonl", "--catalog", "c.jsonl"]])
def test_index_build_refuses_ambiguous_sources(tmp_path: Path, liner_in_process, args: list[str]) -> None:
    r = liner_in_process(["index", "build", *args, "-o", str(tmp_path / "ex")], cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("liner: error:") and "Traceback" not in r.stderr


# --- audio problems in the run summary ---------------------------------------------------------

@pytest.mark.slow  # builds the real tool runtime
def test_missing_and_outside_audio_are_counted_in_the_summary(tmp_path: Path, liner_in_process, stub) -> None:
    (tmp_path / "cat").mkdir()
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(REPO / "examples" / "audio" / "slow-rain-90bpm.flac", tmp_path / "elsewhere" / "x.flac")
    cat = tmp_path / "cat" / "cat.jsonl"
    rows = [{"id": "gone", "title": "Gone", "audio_path": "audio/not-there.flac"},
            {"id": "gone2", "title": "Gone too", "audio_path": "nope.wav"},
            {"id": "out", "title": "Out", "audio_path": "../elsewhere/x.flac"},
            {"id": "plain", "title": "No audio at all"}]
    cat.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o.jsonl"
    r = liner_in_process(["tag", str(cat), "-o", str(out), "--model", "openai/stub", "--api-base", stub.base_url,
               "--no-progress"], env=_stub_env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert re.search(r"tagged without audio: audio\.missing\s*│\s*2", r.stderr), r.stderr
    assert re.search(r"tagged without audio: audio\.outside_root\s*│\s*1", r.stderr), r.stderr
    manifest = json.loads((tmp_path / "o.jsonl.manifest.json").read_text())
    assert manifest["summary"]["audio_errors_by_kind"] == {"audio.missing": 2, "audio.outside_root": 1}


# --- progress when stderr is not a terminal ----------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class _Summary:
    def __init__(self, **kw) -> None:
        self.expected_rows, self.skipped, self.processed, self.failed, self.llm_calls = (
            kw.get("expected_rows"), kw.get("skipped", 0), kw["processed"], kw.get("failed", 0), kw.get("llm_calls", 0))


def test_progress_line_reports_done_rate_eta_calls_and_failures() -> None:
    line = progress_line(Snapshot(done=40, total=120, failed=1, llm_calls=43, elapsed_s=80))
    assert line == "liner: 40/120 done (33%), 0.50 items/s, ETA 2m40s, LLM calls 43, failed 1, elapsed 1m20s"
    assert progress_line(Snapshot(done=3, total=None, elapsed_s=2)).startswith("liner: 3 done, 1.50 items/s, ETA unknown")
    assert "waiting for the first item" in progress_line(Snapshot(done=0, total=9, elapsed_s=12))
    assert [duration(s) for s in (0, 59.4, 75, 3725)] == ["0s", "59s", "1m15s", "1h02m"]


def test_progress_log_counts_work_not_rows_already_done() -> None:
    clock = _Clock()
    log = ProgressLog(io.StringIO(), interval=5, total=10, clock=clock)
    clock.t += 10
    log.update(None, _Summary(expected_rows=10, skipped=6, processed=2, llm_calls=2))
    clock.t += 10
    snap = log.snapshot()
    assert (snap.done, snap.total, snap.elapsed_s) == (2, 4, 20)
    assert snap.eta_s == pytest.approx(20.0)
    with pytest.raises(ValueError):
        ProgressLog(io.StringIO(), interval=0)


def test_progress_log_writes_on_its_own_thread() -> None:
    stream = io.StringIO()
    import time

    with ProgressLog(stream, interval=0.05, total=3) as log:
        time.sleep(0.3)
        log.update(None, _Summary(expected_rows=3, processed=3))
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 3 and "waiting for the first item" in lines[0]
    assert lines[-1].startswith("liner: 3/3 done (100%)")


@pytest.mark.slow  # builds the real tool runtime
def test_tag_logs_progress_lines_when_stderr_is_a_pipe(tmp_path: Path, liner, liner_in_process, stub) -> None:
    cat = tmp_path / "cat.jsonl"
    cat.write_text("".join(json.dumps({"id": f"p{i}", "title": f"Song {i}", "description": "calm ambient"}) + "\n"
                           for i in range(8)))
    r = liner(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--model", "openai/stub", "--api-base",
               stub.base_url, "--concurrency", "1", "--progress-every", "0.3", "--llm", "always"],
              env=_stub_env(tmp_path))  # --llm always: every item waits on the stub, so the run lasts
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("liner: ")]
    assert any("waiting for the first item" in ln for ln in lines), r.stderr
    done = [ln for ln in lines if re.match(r"liner: \d/8 done \(\d+%\), [\d.]+ items/s, ETA \S+, LLM calls \d+, "
                                           r"failed 0, elapsed", ln)]
    assert len(done) >= 2, r.stderr
    assert done[-1].startswith("liner: 8/8 done (100%)")
    quiet = liner_in_process(["tag", str(cat), "-o", str(tmp_path / "o2.jsonl"), "--model", "openai/stub", "--api-base",
                   stub.base_url, "--no-progress"], env=_stub_env(tmp_path))
    assert not [ln for ln in quiet.stderr.splitlines() if re.match(r"liner: \d+/\d+ done", ln)]


# --- version, help examples, refused review bind ----------------------------------------------

def test_version(liner) -> None:
    from linernotes import __version__

    r = liner(["--version"])
    assert r.returncode == 0 and r.stdout.strip() == f"liner (linernotes) {__version__}"


def _commands():
    from linernotes.cli.app import _command_paths

    return _command_paths()


def test_every_command_has_examples_that_parse() -> None:
    import click
    import typer

    from linernotes.cli.app import app
    from linernotes.cli.examples import EXAMPLES

    paths = dict(_commands())
    assert {"tag", "eval", "gate", "tools retrieve", "index build", "review serve"} <= set(paths)
    missing = sorted(p for p in paths if p not in EXAMPLES)
    assert not missing, f"commands without examples: {missing}"
    root = typer.main.get_command(app)
    for path, examples in EXAMPLES.items():
        if path not in paths:
            continue  # a command another branch adds; its examples are checked once it is registered
        for example in examples:
            argv = shlex.split(example)
            assert argv[0] == "liner"
            cmd, rest = root, argv[1:]
            while isinstance(cmd, click.Group):  # descend to the command the example names
                cmd, rest = cmd.get_command(click.Context(cmd), rest[0]), rest[1:]
                assert cmd is not None, example
            cmd.make_context(path, rest)  # raises on an unknown option, a missing argument or a bad value


@pytest.mark.parametrize("path", ["tag", "index build", "tools policy", "review serve", "eval"])
def test_help_shows_the_examples(liner_in_process, path: str) -> None:
    from linernotes.cli.examples import EXAMPLES

    r = liner_in_process([*path.split(), "--help"], env={"COLUMNS": "200"})
    assert r.returncode == 0
    assert "Examples:" in r.stdout and EXAMPLES[path][0] in r.stdout


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_review_serve_refuses_before_printing_a_url(tmp_path: Path, liner_in_process, host: str) -> None:
    # in process: the subprocess `liner review serve` refusal is tests/review/test_cli.py's
    r = liner_in_process(["review", "serve", "--store", str(tmp_path / "r.sqlite"), "--host", host, "--port", "8799"])
    assert r.returncode == 2
    assert "refusing" in r.stderr and "http://" not in r.stderr + r.stdout


def test_litellm_warnings_are_silenced_and_ours_are_not() -> None:
    import warnings

    import linernotes.cli.app  # noqa: F401  (installs the filters)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        linernotes.cli.app._quiet_litellm_warnings()
        for module in ("litellm.types.utils", "litellm"):
            warnings.warn_explicit("Pydantic serializer warnings: Expected 9 fields", UserWarning, "x.py", 1,
                                   module=module)
        warnings.warn_explicit('Field "model_info" in ModelInfo has conflict with protected namespace "model_".',
                               UserWarning, "_fields.py", 1, module="pydantic._internal._fields")
        for text in ("Items 'x', 'y' on TypedDict class '_CopilotUserPayload' are using the `ReadOnly` qualifier.",
                     "Extra items on TypedDict class 'P' are using the `ReadOnly` qualifier. Pydantic will not"):
            warnings.warn_explicit(text, UserWarning, "_generate_schema.py", 1,
                                   module="pydantic._internal._generate_schema")
        warnings.warn_explicit("ours: the taxonomy has no genres", UserWarning, "y.py", 1, module="linernotes.eval")
        warnings.warn_explicit("another package's warning", UserWarning, "z.py", 1, module="litellmish")
    assert [str(w.message) for w in caught] == ["ours: the taxonomy has no genres", "another package's warning"]


@pytest.mark.slow  # builds the real tool runtime
def test_a_first_dry_run_prints_no_third_party_noise(tmp_path: Path, liner) -> None:
    cat = tmp_path / "cat.jsonl"
    cat.write_text(json.dumps({"id": "a", "title": "Night Drive", "description": "synthwave"}) + "\n")
    # a first run compiles everything: into one fresh prefix, written even where the environment
    # says PYTHONDONTWRITEBYTECODE, so each later run compiles (and can warn about) only the
    # modules no earlier run imported, instead of compiling LiteLLM and the rest again
    env = {**_stub_env(tmp_path), "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc"), "PYTHONDONTWRITEBYTECODE": ""}

    def dry_run(model: str):
        return model, liner(["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--dry-run", "--model", model], env=env)

    first = [dry_run("embedded")]
    with ThreadPoolExecutor(2) as pool:  # the two warm runs side by side, one per core
        later = list(pool.map(dry_run, ("openai/not-a-priced-model", "nonsense-provider/x")))
    for model, r in first + later:
        noise = [ln for ln in r.stderr.splitlines() if "Warning" in ln or "Provider List" in ln]
        assert not noise and "Provider List" not in r.stdout, (model, r.stderr[-800:])
