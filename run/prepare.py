"""One run preparation for every runner: local (``run_batch``), ``--workers`` (``run_parallel``),
Beam (``run_beam``), eval (``evaluate``) and the online service (``create_app``).

What is decided here, once, so a runner only schedules items:

- defaults: relative audio paths resolve against the catalog's folder (``audio_base``), and —
  catalog content being untrusted — audio must stay inside that folder (``audio_root``) unless
  the caller set another; both or neither, never one without the other;
- redaction: the config as written to manifests (credentials in ``--api-base`` blanked) and the
  ``Redactor`` every error message goes through;
- resume: the identity an output is bound to, and the check against the one it was started with;
- the manifest: what every runner writes next to its output.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes import __version__
from linernotes.config import TagConfig
from linernotes.digest import short_digest
from linernotes.llm.redact import Redactor, redact_url
from linernotes.schema import SCHEMA_VERSION, ErrorInfo, OutputRecord
from linernotes.store.records import OutputError, error_record


class RunOptions(BaseModel):
    """What to read, where to write, and how much at once (not what the answers are: TagConfig)."""

    input: Path
    output: Path
    mapping: dict[str, str] = Field(default_factory=dict)
    drop: list[str] = Field(default_factory=list)
    keep_extra: bool = True
    limit: int | None = Field(None, ge=1)
    concurrency: int = Field(4, ge=1, le=1024)
    sync: str = "line"
    sorted: bool = Field(False, description="rewrite a complete run's JSONL output in input order (run.ordering); "
                         "records are written as they are done either way")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "linernotes": __version__}
    for name in ("langgraph", "litellm", "instructor", "pydantic", "xllamacpp", "datasets", "ragas"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + ".manifest.json")


# -- defaults ------------------------------------------------------------------------------------
def resolve_config(config: TagConfig, folder: str | Path) -> TagConfig:
    """``config`` with ``audio_base`` and ``audio_root`` defaulted to ``folder`` (absolute) where
    unset. Idempotent: a resolved config comes back unchanged."""
    where = str(Path(folder).resolve())
    update = {k: where for k in ("audio_base", "audio_root") if getattr(config, k) is None}
    return config.model_copy(update=update) if update else config


MAX_EMBEDDED_SLOTS = 8  # more llama.cpp slots add context memory without throughput on a few CPU cores


def embedded_slots(concurrency: int, workers: int = 1) -> int:
    """The embedded engine's slots in one process: its share of the run's LLM calls in flight
    (``ceil(concurrency / workers)``, at least the process's call window, ``run.parallel.shares``),
    at least 1, at most ``MAX_EMBEDDED_SLOTS``."""
    return max(1, min(MAX_EMBEDDED_SLOTS, -(-concurrency // max(1, workers))))


def with_slots(config: TagConfig, concurrency: int, workers: int = 1) -> TagConfig:
    """``config`` with ``llm.parallel`` worked out per process (``embedded_slots``) unless set."""
    if config.llm.parallel is not None:
        return config
    llm = config.llm.model_copy(update={"parallel": embedded_slots(concurrency, workers)})
    return config.model_copy(update={"llm": llm})


def with_catalog_defaults(config: TagConfig, catalog: str | Path) -> TagConfig:
    """``resolve_config`` against the catalog file's folder."""
    return resolve_config(config, Path(catalog).resolve().parent)


# -- redaction -----------------------------------------------------------------------------------
def redacted_config(config: TagConfig) -> dict[str, Any]:
    """The config as JSON with credentials stripped from ``llm.api_base`` (``user:token@``,
    ``?api_key=``): what manifests, run records and resume identities hold."""
    data = config.model_dump(mode="json")
    if data["llm"].get("api_base"):
        data["llm"]["api_base"] = redact_url(data["llm"]["api_base"])
    return data


def redactor(config: TagConfig) -> Redactor:
    """The redaction every error message of a run with ``config`` goes through."""
    return Redactor(config.llm.api_base)


def where(item_id: str, source: str | None, line: int | None, end: int | None = None) -> str:
    """Where an item came from, as a summary line names it: ``cat.jsonl:3 id 'bad-year'`` (the
    catalog as given, the input line, the id of its record: ``line:2`` for a row whose own id was
    not read or was taken, as its record in the output has); ``line 3 ...`` without a catalog name;
    ``cat.csv:12-14 ...`` for a row on lines 12 to 14 (``end``: its last line)."""
    lines = None if line is None else f"{line}-{end}" if end is not None and end != line else str(line)
    place = f"{source}:{lines}" if source and lines is not None else f"line {lines}" if lines is not None else ""
    return f"{place} id {item_id!r}".strip()


def exception_record(item_id: str | None, line: int | None, exc: BaseException, redact: Redactor,
                     source: str | None = None) -> OutputRecord:
    """An unexpected exception as the item's error record (``internal.<Type>``), message redacted;
    ``line`` and ``source`` (the catalog's name) say where the item came from."""
    info = ErrorInfo(kind=f"internal.{type(exc).__name__}", message=redact(str(exc))[:500], line=line,
                     source=source)
    return error_record(item_id, info)


# -- resume --------------------------------------------------------------------------------------
# LLMConfig fields that change how an answer is fetched, never what it is: a resume may change them
_RUNTIME_LLM_FIELDS = {"timeout_s", "max_retries", "backoff_base_s", "backoff_max_s", "threads", "parallel",
                       "cache_path", "use_cache", "transport"}


class ResumeMismatch(OutputError):
    """The output was started with a different configuration (exit code 2)."""


# how a path inside the run's own folder is written in identities and digests: the folder may be
# moved (an eval's RUN.json.d with its exemplar index) and still resume
RUN_FOLDER = "<run folder>"


def run_folder_of(output: Path) -> Path:
    """The folder an output lives in, absolute (the folder whose paths are written relative)."""
    return Path(os.path.abspath(output)).parent


def located(value: Any, folder: Path) -> Any:
    """``value`` with every absolute path inside ``folder`` written as ``<run folder>/REL``
    (through dicts and lists); other values unchanged."""
    if isinstance(value, dict):
        return {k: located(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [located(v, folder) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        try:
            rel = Path(os.path.realpath(value)).relative_to(os.path.realpath(folder))
        except ValueError:
            return value
        return RUN_FOLDER if rel == Path() else f"{RUN_FOLDER}/{rel.as_posix()}"
    return value


def config_digest(config: TagConfig, folder: Path) -> str:
    """``config.digest()`` with paths inside ``folder`` (the run's folder) relative to it."""
    return config.digest(lambda data: located(data, folder))


def resume_identity(config: TagConfig, opts: RunOptions, model_identity: str, prompt_hash: str,
                    contents: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything that decides an output line, flattened to ``{"llm.model": ..., ...}``; a resume
    must match it exactly, or one file would mix two configurations' records.

    ``config`` is the configuration the caller asked for (before catalog defaults); runtime knobs
    (concurrency, retries, timeouts, threads, cache) are left out. ``model_identity`` goes in as
    a digest: it may hold an endpoint URL with credentials. Paths inside the output's folder are
    relative to it (``located``): a moved run folder resumes.

    ``input`` is the catalog's absolute path (as given, symlinks not followed): a rerun on
    another catalog would skip its rows under ids the first one answered, keeping the other
    catalog's records; the same path with rows added or fixed resumes.

    ``contents`` (``content_identity``): the content digests of the fitted models and packs the
    settings name by path, under ``content.*`` keys: a fusion refitted into the same folder, or a
    taxonomy YAML edited in place, is another configuration though its path is the same."""
    data = redacted_config(config)
    flat: dict[str, Any] = {f"llm.{k}": v for k, v in data.pop("llm").items() if k not in _RUNTIME_LLM_FIELDS}
    flat.update(data)
    flat.update({"input": os.path.abspath(opts.input),
                 "map": opts.mapping, "drop": sorted(opts.drop), "keep_extra": opts.keep_extra,
                 "prompt_hash": prompt_hash,
                 "model_identity": short_digest(model_identity)})
    flat.update(contents or {})
    return located(flat, run_folder_of(opts.output))


CONTENT = "content."
# the runtime's tool versions that are content digests of what a setting names by path
_CONTENT_VERSIONS = ("fusion", "taxonomy.genres", "taxonomy.podcasts", "taxonomy.moods", "policy")


def content_identity(rt: Any) -> dict[str, str]:
    """``{"content.fusion": <artifact hash>, "content.taxonomy.genres": "<ref>#<digest>", ...,
    "content.signal_model.<name>": <model file hash>}`` of a built runtime (``agents.runtime``)."""
    out = {CONTENT + k: str(v) for k, v in (getattr(rt, "tool_versions", None) or {}).items() if k in _CONTENT_VERSIONS}
    for name, model in sorted((getattr(rt, "signal_models", None) or {}).items()):
        out[f"{CONTENT}signal_model.{name}"] = str(getattr(model, "content_hash", "") or "")
    return out


# identity keys added after manifests first recorded identities: an output whose identity lacks
# one was written before it existed and is not compared on it (its rerun goes on as it did)
_ADDED_KEYS = frozenset({"input"})

TAG_REMEDY = "rerun with the options it was started with, or write to another -o (or delete it to start over)"


def check_resume(output: Path, identity: dict[str, Any], has_records: bool, ignore: frozenset[str] = frozenset(),
                 remedy: str = TAG_REMEDY) -> None:
    """Refuse to add to an output written under another configuration: raises ResumeMismatch
    naming every field that differs, its value then and now, and ``remedy`` (what to do). Keys
    in ``ignore`` are not compared. An output with no records, or no manifest, or a manifest from
    before identities were recorded, is accepted; so is a key (``_ADDED_KEYS``) the old identity
    predates. The old identity's paths are read relative to the folder it was written in
    (``run_folder``; else its ``output``'s folder), so a moved folder compares equal."""
    mpath = manifest_path(output)
    if not has_records or not mpath.exists():
        return
    try:
        manifest = json.loads(mpath.read_text())
        old = manifest.get("resume_identity")
    except (OSError, ValueError, AttributeError) as e:
        raise OutputError(f"{mpath}: unreadable manifest ({e}); use another -o or delete the old output") from None
    if not isinstance(old, dict):
        return
    then = manifest.get("run_folder") or run_folder_of(Path(str(manifest.get("output") or output)))
    old = located(old, Path(then))
    ignore = ignore | (_ADDED_KEYS - set(old))
    if not any(k.startswith(CONTENT) for k in old) or not any(k.startswith(CONTENT) for k in identity):
        # an identity from before content digests were recorded, or a check made before the
        # runtime is built (eval's early check): the settings alone are compared
        ignore = ignore | {k for k in set(old) | set(identity) if k.startswith(CONTENT)}
    diff = [k for k in sorted(set(old) | set(identity)) if k not in ignore and old.get(k) != identity.get(k)]
    if diff:
        raise ResumeMismatch(mismatch_message(output, old, identity, diff, remedy))


def mismatch_message(output: Path, old: dict[str, Any], new: dict[str, Any], diff: list[str], remedy: str) -> str:
    """``OUT was started with a different configuration: K: OLD (then) -> NEW (now); ...; REMEDY``:
    every differing field (up to 6 shown, then a count)."""
    shown = "; ".join(f"{k}: {_brief(old.get(k), k)} (then) -> {_brief(new.get(k), k)} (now)" for k in diff[:6])
    more = f"; +{len(diff) - 6} more fields" if len(diff) > 6 else ""
    return f"{output} was started with a different configuration: {shown}{more}; {remedy}"


def _brief(v: Any, key: str = "") -> str:
    if key == "signals" and isinstance(v, list):
        # the specs' JSON starts with the same keys, so 60 characters of it never showed what
        # differs: a spec by its name and content hash does
        return "[" + ", ".join(f"{s.get('name')}#{s.get('content_hash')}" if isinstance(s, dict) else str(s)
                               for s in v) + "]"
    text = json.dumps(v, sort_keys=True, default=str)
    if len(text) <= 60:
        return text
    # a path differs in its end (the file name), which a cut at 57 characters would hide
    return "..." + text[-57:] if key == "input" else text[:57] + "..."


def model_identity(rt: Any) -> str:
    """The model's cache identity (endpoint, GGUF content), or its label for runtimes without one."""
    return str(getattr(rt.llm, "cache_identity", None) or rt.llm.model_label)


# -- the prepared run ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedRun:
    """A run as every runner sees it: ``config`` is what the graph runs with (defaults set);
    ``requested`` is what the caller asked for (resume identities compare it)."""

    requested: TagConfig
    config: TagConfig
    opts: RunOptions
    runner: str
    redact: Redactor

    def identity(self, runtime: Any) -> dict[str, Any]:
        return resume_identity(self.requested, self.opts, model_identity(runtime), runtime.prompt.hash,
                               content_identity(runtime))

    def check_resume(self, runtime: Any, has_records: bool) -> dict[str, Any]:
        """The resume identity, after refusing an output started under another one (when
        ``has_records``: the records a rerun would keep)."""
        identity = self.identity(runtime)
        check_resume(self.opts.output, identity, has_records)
        return identity

    def manifest(self, runtime: Any = None, identity: dict[str, Any] | None = None,
                 **extra: Any) -> dict[str, Any]:
        """The manifest's opening fields (the caller adds status, summary, finish time). Without a
        runtime (Beam builds the graph on its workers) the model/prompt fields are left out."""
        opts = self.opts
        out: dict[str, Any] = {
            "started": datetime.now(UTC).isoformat(), "runner": self.runner, "input": str(opts.input),
            "output": str(opts.output), "options": opts.model_dump(mode="json", exclude={"input", "output"}),
            "config": redacted_config(self.config),
            "config_digest": config_digest(self.requested, run_folder_of(opts.output)),
            "run_folder": str(run_folder_of(opts.output)),
        }
        if identity is not None:
            out["resume_identity"] = identity
        if runtime is not None:
            out.update({"model": runtime.llm.model_label, "prompt": runtime.prompt.name,
                        "prompt_hash": runtime.prompt.hash, "schema_version": SCHEMA_VERSION,
                        "tool_versions": runtime.tool_versions,
                        "cache": str(runtime.llm.cache.path) if runtime.llm.cache is not None else None})
        out["packages"] = package_versions()
        out.update(extra)
        return out


def refuse_overwriting_input(opts: RunOptions) -> None:
    """Raise OutputError when ``-o`` (or a Parquet output's journal) is the catalog itself: the
    run would replace the catalog with its records (a Parquet catalog when the run ends)."""
    from linernotes.sinks import journal_path

    catalog = os.path.realpath(opts.input)
    if catalog in {os.path.realpath(opts.output), os.path.realpath(journal_path(opts.output))}:
        raise OutputError(f"{opts.output}: is the catalog being read ({opts.input}): the run would overwrite it "
                          "with its records; write to another -o")


# output names whose suffix promises a format a JSONL output is not: the file would hold plain
# JSON lines that a spreadsheet, zcat or liner's own .gz reader cannot read as named
_TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls")
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zip")


def refuse_misnamed_output(output: Path, runner: str) -> None:
    """Raise OutputError for a JSONL output named as a table (``.csv`` ...) or, outside Beam
    (whose text sink compresses by suffix), as a compressed file (``.gz`` ...): the local runner
    appends and repairs plain lines, so it cannot compress."""
    from linernotes.sinks import is_parquet_output

    name = output.name.lower()
    if is_parquet_output(output):
        return
    table = next((x for x in _TABLE_SUFFIXES if name.endswith(x)), None)
    if table:
        raise OutputError(f"{output}: liner tag writes JSON lines or Parquet, not {table}: name the output .jsonl, "
                          "or .parquet (or an existing folder) for a table")
    packed = next((x for x in _COMPRESSED_SUFFIXES if name.endswith(x)), None)
    if packed and runner != "beam":
        raise OutputError(f"{output}: the output is appended and resumed as plain JSON lines, which a '{packed}' "
                          "name would misdescribe: name it .jsonl and compress it after the run, or write "
                          ".parquet (compressed)")


def refuse_unsortable(opts: RunOptions, runner: str) -> None:
    """Raise OutputError for ``--sorted`` where there is no JSONL output to rewrite in place: a
    Parquet table (sort it on read, by ``id``) or a Beam run (its sink writes shards)."""
    from linernotes.sinks import is_parquet_output

    if not opts.sorted:
        return
    if runner == "beam":
        raise OutputError(f"{opts.output}: --sorted rewrites a local run's JSONL output; Beam writes shards: sort "
                          "them after the pipeline, or run with --runner local")
    if is_parquet_output(opts.output):
        raise OutputError(f"{opts.output}: --sorted rewrites a JSONL output in input order; a Parquet table is "
                          "sorted on read (by id), or write .jsonl")


def prepare_run(config: TagConfig, opts: RunOptions, runner: str = "local", workers: int = 1,
                folder: str | Path | None = None) -> PreparedRun:
    """Prepare a run of ``config`` over ``opts.input`` in ``workers`` processes: audio defaults
    against ``folder`` (the catalog's folder unless given), the embedded engine's slots per process
    (``opts.concurrency`` shared by the workers), and the run's redaction. The same arguments give
    the same run; raises OutputError when ``-o`` is the catalog (``refuse_overwriting_input``),
    is named as another format (``refuse_misnamed_output``) or cannot be sorted (``refuse_unsortable``)."""
    refuse_overwriting_input(opts)
    refuse_misnamed_output(Path(opts.output), runner)
    refuse_unsortable(opts, runner)
    resolved = resolve_config(config, folder if folder is not None else Path(opts.input).resolve().parent)
    resolved = with_slots(resolved, opts.concurrency, workers)
    return PreparedRun(requested=config, config=resolved, opts=opts, runner=runner, redact=redactor(config))
