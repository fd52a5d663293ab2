"""``liner eval``: tag a gold set with the same graph as ``liner tag`` (cache-aware, resumable),
then score it into a RunRecord.

The run folder ``RUN.json.d/`` keeps the tagger's input (allowlisted fields only), its output
JSONL and, when the spec sets ``exemplars``, the index of gold items NOT evaluated; rerunning the
same command resumes from it. Resuming with another model, prompt, config or exemplar set is
refused: the predictions would silently mix two taggers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from linernotes.config import TagConfig
from linernotes.evals.bootstrap import MAX_RESAMPLES
from linernotes.evals.clean import is_clean
from linernotes.evals.gold import (
    GoldSet,
    check_gold_values,
    check_groups,
    exemplar_items,
    exemplar_records,
    load_gold,
    tagger_id,
    tagger_record,
    write_tagger_input,
)
from linernotes.evals.record import ExemplarInfo, ItemResult, RunRecord, is_run_record
from linernotes.evals.report import in_sample_message
from linernotes.evals.scoring import repeat_spread, score_record
from linernotes.evals.spec import SEED_MAX, GoldSpec, SpecError, check_signal_tasks, load_spec, resolve_data
from linernotes.files import refuse_shipped, special_kind
from linernotes.fusion.artifact import in_sample
from linernotes.run.prepare import (
    ResumeMismatch,
    RunOptions,
    check_resume,
    config_digest,
    located,
    manifest_path,
    redacted_config,
    resolve_config,
    resume_identity,
    with_slots,
)
from linernotes.schema import SCHEMA_VERSION, OutputRecord
from linernotes.signals.fit import in_sample as signals_in_sample

if TYPE_CHECKING:
    from linernotes.tools.retrieval.exemplars import ExemplarRecord

EXEMPLAR_INFO = "exemplars.json"
log = logging.getLogger("linernotes.eval")


class EvalOptions(BaseModel):
    spec: str
    output: Path
    data: Path | None = None
    limit: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    concurrency: int = Field(4, ge=1)
    repeat: int = Field(1, ge=1, le=20)
    judge: str | None = None
    judge_items: int | None = Field(None, ge=1, description="judge at most this many items (cost bound)")
    judge_api_base: str | None = None
    resamples: int = Field(1000, ge=0, le=MAX_RESAMPLES)
    fresh: bool = False
    remedy: str = Field("", description="what a refused resume tells the user to do (default EVAL_REMEDY; "
                        "liner fit has no --fresh and says its own)")
    overwrite_shipped: bool = Field(False, description="allow -o inside data the package ships (its baselines)")
    clean: bool = Field(True, description="also score the spec's clean catalog texts (spec clean:), if it has "
                        "any; liner fit's own evals leave them out (its record is cross-fitted on gold items)")


def _record_config(config: TagConfig, folder: Path) -> dict[str, Any]:
    """The config as a run record keeps it: redacted, without this machine's folders (the audio
    defaults ``resolve_config`` set; paths inside the run ``folder``, such as its exemplar index,
    relative to it), so two machines' records of one command compare equal."""
    data = redacted_config(config.model_copy(update={"audio_root": None}))
    data.pop("audio_base", None)
    return located(data, folder)


def check_output(output: Path, overwrite_shipped: bool = False) -> None:
    """Refuse (SpecError), before anything is read or tagged, an ``-o`` that is a folder or an
    existing file that is not a run record: the record replaced it whole, so ``--data gold.jsonl
    -o gold.jsonl`` (or the spec's own path) destroyed the gold set, and a folder failed after the
    whole eval with "IsADirectoryError: 'run.tmp' -> 'run'". A run record (a rerun) is replaced,
    except inside data the package ships without ``overwrite_shipped`` (``files.refuse_shipped``):
    ``-o evals/baselines/ci-slice.json`` replaced the baseline the CI gate compares against."""
    refuse_shipped(output, SpecError, "-o", overwrite_shipped)
    if output.is_dir():
        raise SpecError(f"-o {output}: is a folder; the run record is a file (e.g. {output / 'run.json'})")
    if output.exists() and not is_run_record(output):
        raise SpecError(f"-o {output}: exists and is not a run record of liner eval, which would replace it; "
                        "choose another -o (or delete the file)")
    # the run folder beside it: a file there, or a folder where its input/predictions files go,
    # ended the eval in a traceback (FileExistsError, IsADirectoryError), exit 1
    folder = run_folder(output)
    odd = [p for p in (folder, folder / "inputs.jsonl", folder / "predictions.jsonl")
           if p.exists() and (p.is_dir() != (p == folder) or special_kind(p) is not None)]
    if odd:
        what = "a folder" if odd[0] == folder else "a regular file"
        raise SpecError(f"-o {output}: {odd[0]} is in the way: it should be {what} (the eval keeps the tagger's "
                        f"input and predictions in {folder}); move it away or choose another -o")


def run_folder(output: Path) -> Path:
    return output.with_name(output.name + ".d")


EVAL_REMEDY = "rerun with the options it was started with, or --fresh to start over, or another -o"
# what a run folder holding another exemplar set tells the user (liner fit passes its own remedy)
EXEMPLAR_REMEDY = "use another -o or --fresh to start over"


def _tag_options(folder: Path, concurrency: int = 1) -> RunOptions:
    """How an eval tags its gold items: the run folder's inputs into its predictions."""
    return RunOptions(input=folder / "inputs.jsonl", output=folder / "predictions.jsonl", keep_extra=False,
                      concurrency=concurrency)


def _check_resume(folder: Path, config: TagConfig, prompt_hash: str, remedy: str = EVAL_REMEDY) -> None:
    """Refuse to resume predictions made under another configuration, before anything is built:
    SpecError naming each differing field, then and now (the model's own identity is compared
    when the run starts). Paths inside the run folder are relative to it, so a moved folder
    resumes. A manifest from before identities: its digest, with or without the folder's place."""
    opts = _tag_options(folder)
    manifest = manifest_path(opts.output)
    if not manifest.exists():
        return
    try:
        old = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return
    if isinstance(old.get("resume_identity"), dict):
        identity = resume_identity(config, opts, "", prompt_hash)
        try:
            check_resume(opts.output, identity, has_records=True, ignore=frozenset({"model_identity"}),
                         remedy=remedy)
        except ResumeMismatch as e:
            raise SpecError(str(e).replace(f"{opts.output} was started", f"{folder} holds predictions started")) from None
        return
    if old.get("config_digest") not in (config.digest(), config_digest(config, folder)) \
            or old.get("prompt_hash") != prompt_hash:
        raise SpecError(f"{folder} holds predictions of another model/prompt/config (its manifest predates "
                        f"field-by-field checks); {remedy}")


def _check_fusion_resume(folder: Path, config: TagConfig, remedy: str = EVAL_REMEDY) -> None:
    """Refuse to resume predictions made with another fusion artifact than ``--fusion`` reads now
    (SpecError naming both content hashes). The resume identity compares the setting (a folder's
    path), so a refit into the same folder resumed: every item was "already tagged" and the record
    scored the old artifact's decisions under the new one's name."""
    from linernotes.agents.runtime import open_fusion

    path = _tag_options(folder).output
    if not path.exists():
        return
    art = open_fusion(config.fusion)
    now = art.content_hash if art is not None else None
    made = {rec.enrichment.provenance.fusion for rec in read_predictions(path).values() if rec.enrichment}
    # a record naming no artifact (made before provenance had it, or by a test double) claims nothing
    stale = sorted(str(h) for h in made - {now, None})
    if stale:
        raise SpecError(f"{folder} holds predictions made with fusion artifact {', '.join(stale)}; --fusion "
                        f"{config.fusion} is {now or 'no artifact'} now (refitted?); {remedy}")


def exemplar_folder(folder: Path) -> Path:
    """Absolute, so ``config.exemplars`` (hence the config digest the resume check compares) is
    the same on every rerun of the command."""
    return (folder / "exemplars").resolve()


def _exemplar_digest(records: list[ExemplarRecord], embedder: str) -> str:
    h = hashlib.sha256(embedder.encode())
    for r in records:
        # without the structured fields (they restate the text's rows): a run folder started before
        # records kept them has the same set of items, so it resumes with its own index (old
        # evidence format throughout) instead of being refused as another exemplar set
        h.update(r.model_dump_json(exclude={"fields"}).encode() + b"\n")
    return h.hexdigest()[:16]


def _read_info(path: Path) -> ExemplarInfo | None:
    try:
        return ExemplarInfo.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def prepare_exemplars(spec: GoldSpec, data: Path, sample: GoldSet, folder: Path,
                      remedy: str = EXEMPLAR_REMEDY) -> ExemplarInfo:
    """Build the run's exemplar index from the gold items NOT evaluated (spec ``exemplars``), or
    reuse the one a previous run of the same command built. Selection and records are
    deterministic, so a rebuild holds the same content; an index of another set next to
    existing predictions is refused rather than silently mixing two taggers."""
    from linernotes.tools.retrieval.exemplars import DEFAULT_EXEMPLAR_EMBEDDER, build_exemplar_index

    rule = spec.exemplars
    if rule is None:
        raise SpecError(f"spec {spec.name}: has no exemplars setting")
    full = load_gold(spec, _exemplar_source(spec, data))
    records = exemplar_records(spec, exemplar_items(spec, full, sample))
    if not records:
        raise SpecError(f"spec {spec.name}: exemplars (exclude: {rule.exclude}) leave no labeled gold item to use "
                        f"({len(sample.items)} of {len(full.items)} items are evaluated); evaluate a --limit sample")
    info = ExemplarInfo(task=rule.task, exclude=rule.exclude, count=len(records),
                        digest=_exemplar_digest(records, DEFAULT_EXEMPLAR_EMBEDDER))
    stamp = folder / EXEMPLAR_INFO
    if _read_info(stamp) == info:
        return info
    if (folder / "predictions.jsonl").exists():
        raise SpecError(f"{folder} holds predictions made with another exemplar set (other --limit, --seed or "
                        f"data?); {remedy}")
    stamp.unlink(missing_ok=True)
    target = exemplar_folder(folder)
    shutil.rmtree(target, ignore_errors=True)
    build_exemplar_index(records, target, embedder=DEFAULT_EXEMPLAR_EMBEDDER)
    tmp = stamp.with_name(stamp.name + ".tmp")  # written last: a stamp means a complete index
    tmp.write_text(info.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(stamp)
    return info


def _exemplar_source(spec: GoldSpec, data: Path) -> Path:
    """The file exemplars come from: ``exemplars.data`` (against the spec's folder) or the gold."""
    rule = spec.exemplars
    if rule is None or rule.data is None:
        return data
    path = Path(rule.data)
    if not path.is_absolute():
        path = (Path(spec.origin).parent if spec.origin else Path.cwd()) / path
    if not path.exists():
        raise SpecError(f"spec {spec.name}: exemplars.data {rule.data!r} not found ({path})")
    return path


def read_predictions(path: Path) -> dict[str, OutputRecord]:
    """The tagger's records in an eval's ``predictions.jsonl`` by id (the last line for an id
    wins; {} when the file does not exist). Raises ``SpecError`` naming ``path:line`` and the
    reason for a line that is not JSON or not an output record (a hand-edited id holding ESC, a
    quoted '1_0'): they ended ``liner eval`` / ``liner fit`` in a pydantic traceback."""
    from pydantic import ValidationError

    from linernotes.schema import record_line_reason

    out: dict[str, OutputRecord] = {}
    if not path.exists():
        return out
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                rec = OutputRecord.model_validate_json(raw)
            except ValidationError as e:
                raise SpecError(f"{path}:{n}: {record_line_reason(e)}; tag the item again (delete the line) or start another "
                                "run folder") from None
            out[rec.id] = rec
    return out


def item_results(gold: GoldSet, predictions: dict[str, OutputRecord]) -> list[ItemResult]:
    """One result per gold item; an item the tagger never answered is an error, not a gap."""
    out = []
    for g in gold.items:
        rec = predictions.get(tagger_id(g.id))
        if rec is None:
            out.append(ItemResult(id=g.id, group=g.group, inputs=g.inputs, gold=g.gold, status="error",
                                  error={"kind": "eval.missing_prediction", "message": "no output line"}))
            continue
        out.append(ItemResult(
            id=g.id, group=g.group, inputs=g.inputs, gold=g.gold, status=rec.status,
            prediction=rec.enrichment.model_dump(mode="json") if rec.enrichment else None,
            error=rec.error.model_dump(mode="json") if rec.error else None))
    return out


async def tag_gold(spec: GoldSpec, gold: GoldSet, config: TagConfig, folder: Path, concurrency: int,
                   enricher: Any = None, on_record: Callable[..., None] | None = None) -> dict[str, OutputRecord]:
    from linernotes.evals.input_digests import retag_changed
    from linernotes.run.runner import run_batch

    opts = _tag_options(folder, concurrency)
    # a resume skips every item with a prediction: one tagged from other inputs (an edited gold row,
    # another spec's inputs) would be scored under the new ones
    retagged = retag_changed(folder, [tagger_record(spec, g) for g in gold.items], opts.output)
    if retagged:
        by_tagger = {tagger_id(g.id): g.id for g in gold.items}
        log.warning("liner: warning: %s: the inputs of %d item(s) changed since they were tagged (e.g. %s); "
                    "tagging them again", folder, len(retagged), ", ".join(repr(by_tagger[k]) for k in retagged[:3]))
    write_tagger_input(spec, gold.items, opts.input)
    summary = await run_batch(config, opts, enricher=enricher, on_record=on_record)
    if summary.skipped:  # a resume: say what was reused, as liner tag's summary does
        log.warning("liner: resumed %s: %d of %d items were already tagged there, %d tagged now", folder,
                    summary.skipped, len(gold.items), summary.ok + summary.failed)
    return read_predictions(opts.output)


def warn_signal_gold(spec: GoldSpec, items: list[Any], signals: list[Any], source: Path) -> None:
    """Write declared signals' gold labels as their ids (``evals.gold.canonical_signal_gold``, in
    place: 'Sad' is 'sad'), then log a warning naming ``source`` (the gold file or run record) for
    each declared signal whose gold it can never predict (``evals.gold.check_signal_gold``)."""
    from linernotes.evals.gold import canonical_signal_gold, check_signal_gold

    canonical_signal_gold(spec, items, signals)
    for message in check_signal_gold(spec, items, signals):
        log.warning("liner: warning: %s: %s", source, message)


def with_clean(spec: GoldSpec, gold: GoldSet, config: TagConfig, opts: EvalOptions) -> GoldSet:
    """``gold`` plus the spec's clean texts (``evals.clean.load_clean``) that the run's fusion
    artifact was not fitted on: their false-flag rate is then a held-out figure for it. A clean
    text may not take any gold row's id, drawn by --limit or not (whether the file was refused
    depended on the draw, and a gold id left out by it was scored as clean text)."""
    from linernotes.agents.runtime import open_fusion
    from linernotes.evals.clean import load_clean
    from linernotes.signals.builtin import TASK_FIELD

    art = open_fusion(config.fusion)
    entry = art.fields.get(TASK_FIELD["policy"]) if art is not None else None
    clean = load_clean(spec, opts.seed, opts.limit, frozenset([*gold.all_ids, *(g.id for g in gold.items)]),
                       frozenset(entry.trained_on) if entry is not None else frozenset())
    if not clean:
        log.warning("liner: warning: spec %s: no clean text left to score (clean.data %s; those the fusion artifact "
                    "was fitted on are left out)", spec.name, spec.clean.data if spec.clean else "")
    return gold.model_copy(update={"items": [*gold.items, *clean]})


async def evaluate(opts: EvalOptions, config: TagConfig,
                   on_record: Callable[..., None] | None = None) -> RunRecord:
    """Tag (or resume), score, and return the record; the caller saves it."""
    from linernotes.agents.runtime import load_prompt
    from linernotes.run.runner import Enricher

    check_output(opts.output, opts.overwrite_shipped)
    spec = load_spec(opts.spec)
    check_signal_tasks(spec, config.signals)
    data = resolve_data(spec, opts.data)
    gold = load_gold(spec, data, opts.limit, opts.seed)
    from linernotes.evals.gold import check_labels

    try:  # gold labels outside the taxonomy: warned, and kept in the record
        label_checks = check_labels(spec, gold)
    except (FileNotFoundError, ValueError) as e:  # it said "no shipped taxonomy named 'x'", naming no spec
        bad = next((i for i, t in enumerate(spec.tasks) if t.kind == "multilabel" and t.taxonomy), 0)
        raise SpecError(f"{spec.origin or spec.name}: tasks[{bad}].taxonomy: {str(e).splitlines()[0]}") from None
    for check in label_checks:
        if check.unknown:
            log.warning("liner: warning: %s", check.message())
    warn_signal_gold(spec, gold.items, config.signals, data)
    for message in [*check_gold_values(spec, gold.items), *check_groups(spec, gold.items)]:
        log.warning("liner: warning: %s: %s", data, message)
    if gold.missing_inputs:  # a column typo hides that field from the tagger; a gold set may rightly lack one
        log.warning("liner: warning: %s: no row has the input column(s) %s of spec %s: the tagger never sees "
                    "them", data, ", ".join(f"{v!r} (inputs.{k})" for k, v in gold.missing_inputs.items()),
                    spec.name)
    if gold.other_types:
        log.warning("liner: warning: %s: the 'type' column gives %s, but spec %s tags every item as %s (its "
                    "item_type): write one spec per type (item_type: episode ...) or leave those rows out", data,
                    ", ".join(f"{n} {t}" for t, n in gold.other_types.items()), spec.name, spec.item_type)
    for task in spec.tasks:  # a gold_field typo left the task unscored with exit 0; a slice may rightly lack one
        if not any(task.name in g.gold for g in gold.items):
            log.warning("liner: warning: %s: no item has a value in column %r (the gold_field of task %s): the task "
                        "is not scored and a gate rule on its metrics cannot hold", data, task.gold_field, task.name)
    if spec.clean is not None and opts.clean:
        gold = with_clean(spec, gold, config, opts)
    folder = run_folder(opts.output)
    if opts.fresh and folder.exists():
        shutil.rmtree(folder)
    # the gold file's folder plays the catalog's: audio resolves there and must stay inside it
    config = with_slots(resolve_config(config, data.parent), opts.concurrency)
    if opts.repeat > 1:
        config = config.model_copy(update={"llm": config.llm.model_copy(update={"use_cache": False})})
    if spec.exemplars is not None:
        config = config.model_copy(update={"exemplars": str(exemplar_folder(folder))})
    prompt = load_prompt(config.prompt)
    remedy = opts.remedy or EVAL_REMEDY
    _check_resume(folder, config, prompt.hash, remedy)
    _check_fusion_resume(folder, config, remedy)
    exemplars = (prepare_exemplars(spec, data, gold, folder, opts.remedy or EXEMPLAR_REMEDY)
                 if spec.exemplars is not None else None)
    enricher = Enricher(config)
    try:
        return await _tag_and_score(opts, spec, gold, data, folder, config, exemplars, label_checks, enricher,
                                    on_record)
    finally:
        enricher.close()  # the embedded model server this eval started stops with it


async def _tag_and_score(opts: EvalOptions, spec: GoldSpec, gold: Any, data: Path, folder: Path, config: TagConfig,
                         exemplars: Any, label_checks: list[Any], enricher: Any,
                         on_record: Callable[..., None] | None) -> RunRecord:
    from linernotes.run.runner import package_versions

    runs: list[RunRecord] = []
    for k in range(opts.repeat):
        sub = folder if k == 0 else folder / f"repeat-{k}"
        preds = await tag_gold(spec, gold, config, sub, opts.concurrency, enricher, on_record)
        rt = enricher.runtime
        record = RunRecord(
            spec=spec.name, spec_digest=spec.digest(), data_path=str(data), gold_fingerprint=gold.fingerprint,
            model=rt.llm.model_label, prompt=rt.prompt.name, prompt_hash=rt.prompt.hash,
            schema_version=SCHEMA_VERSION, tool_versions=rt.tool_versions, packages=package_versions(),
            config=_record_config(config, folder), seed=opts.seed, limit=opts.limit,
            judge=opts.judge, exemplars=exemplars, tasks=[t.model_dump(mode="json") for t in spec.tasks],
            items=item_results(gold, preds), extras={"gold_labels": [c.model_dump() for c in label_checks]})
        # the gold items alone: a clean text (spec clean:) is held out from the policy combiner by
        # construction, and no other field is scored on it (QA session 23: the policy-prompts eval
        # warned "genres 100 of 1383, valence 300 of 1383 in-sample", clean texts of those fits)
        ids = [g.id for g in gold.items if not is_clean(spec, g)]
        overlap = in_sample(getattr(rt, "fusion", None), ids) | signals_in_sample(getattr(rt, "signal_models", {}), ids)
        if overlap:
            record.extras["fusion_in_sample"] = {"items": len(ids), "fields": overlap}
            if k == 0:
                log.warning("liner: warning: %s", in_sample_message(overlap, len(ids)))
        judge_scores = None
        if opts.judge and k == 0:
            from linernotes.evals.metrics.faithfulness import judge_faithfulness

            judge_scores = await judge_faithfulness(record.items, opts.judge, config, opts.judge_items,
                                                    opts.judge_api_base)
        runs.append(score_record(record, seed=opts.seed, resamples=opts.resamples, judge=judge_scores))
    main = runs[0]
    if opts.repeat > 1:
        main.repeat_spread = repeat_spread([r.metrics for r in runs])
    return main
