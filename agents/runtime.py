"""What the graph's nodes share for a whole run: config, LLM client, packs, prompt. Built once."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from linernotes import __version__
from linernotes.config import TagConfig
from linernotes.digest import short_digest
from linernotes.files import MAX_CONFIG_BYTES, read_regular_text
from linernotes.fusion.artifact import FILE, FusionArtifact, default_fusion_dir, load_fusion
from linernotes.llm.client import LLMClient
from linernotes.schema import Item
from linernotes.tools.disk_cache import file_stamp
from linernotes.tools.policy.pack import PolicyPack, load_policy_pack
from linernotes.tools.retrieval.embedding import DEFAULT_EMBEDDER
from linernotes.tools.retrieval.taxonomy import Taxonomy, load_taxonomy
from linernotes.tools.retrieval.taxonomy_index import taxonomy_index

log = logging.getLogger("linernotes.signals")

DEFAULT_GENRES = {
    "track": ["electronic", "techno", "house", "ambient", "pop", "rock", "hip-hop", "jazz", "classical", "folk"],
}


@dataclass(frozen=True)
class Prompt:
    name: str
    system: str
    user: jinja2.Template
    hash: str
    answer: str = "verbose"  # "compact": candidates by handle (G1, M1, C1), valence -2..2, no quote


# What the extract prompt's user template is rendered with (agents.nodes.extract.render_messages)
PROMPT_VARIABLES = frozenset({"item", "content", "evidence", "feedback", "handles", "rationale", "ask", "restricted"})
# {title} or {nosuch}: a str.format placeholder, which jinja2 leaves as text (the model would read
# "{title}" instead of the title)
_FORMAT_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*([A-Za-z_][\w.]*)\s*\}(?!\})")


class PromptError(ValueError):
    """A prompt file that cannot be used: the message names the file (and line) and the reason."""


def load_prompt(name: str) -> Prompt:
    """``extract.v1`` -> agents/prompts/extract.v1.md: system text, ``---``, user template.
    A path to a ``.md`` file loads that file (for evaluating a prompt before it ships).
    Raises ``PromptError`` naming the shipped prompts for an unknown name, and for a ``.md`` path
    that is not a file.

    Raises ``PromptError`` for a file without the ``---`` line, an empty part, a template syntax
    error (with its line in the file), a variable the tagger does not provide
    (``PROMPT_VARIABLES``), a ``{name}`` placeholder jinja2 would leave as text, or a template
    that never shows the item (neither ``content`` nor ``item``)."""
    shipped = resources.files("linernotes.agents").joinpath("prompts")
    if name.endswith(".md"):
        origin = name
        if not Path(name).exists():
            raise PromptError(f"{name}: no such prompt file")
        try:  # a FIFO, device or folder is named as one (not waited on, not read without end)
            text = read_regular_text(name, PromptError, limit=MAX_CONFIG_BYTES, what="a prompt file")
        except UnicodeDecodeError as e:
            raise PromptError(f"{name}: not UTF-8 text (byte {e.start}: {e.reason})") from None
    else:
        origin = f"agents/prompts/{name}.md"
        if not shipped.joinpath(f"{name}.md").is_file():
            names = sorted(p.name.removesuffix(".md") for p in shipped.iterdir() if p.name.endswith(".md"))
            raise PromptError(f"--prompt {name}: no shipped prompt of that name (shipped: {', '.join(names)}; "
                              "or give the path of a .md file)")
        text = shipped.joinpath(f"{name}.md").read_text(encoding="utf-8")
    return _parse_prompt(name, origin, text)


@functools.lru_cache(maxsize=16)
def _parse_prompt(name: str, origin: str, text: str) -> Prompt:
    """``load_prompt``'s checks and the compiled template for one prompt file's text. Cached by
    the text (a ``Prompt`` is immutable; a check that fails raises again, nothing is cached): the
    checks and jinja2's compile cost ~0.1 s of CPU, paid by every runtime a process builds (each
    ``--workers`` process, and the run's own process again when it starts them) although the
    workers' forkserver already built the same prompt (``run.warm``)."""
    digest = short_digest(text)
    answer, skipped = "verbose", 0
    if text.startswith("<!-- answer:"):  # the answer format the prompt's instructions describe
        head, _, text = text.partition("\n")
        answer, skipped = head.removeprefix("<!-- answer:").removesuffix("-->").strip(), 1
    system, sep, user = text.partition("\n---\n")
    form = "see agents/prompts/extract.v2.md for the form"
    if not sep:
        raise PromptError(f"{origin}: no line '---' between the system instructions and the user template ({form})")
    if not system.strip() or not user.strip():
        part = "system instructions before" if not system.strip() else "user template after"
        raise PromptError(f"{origin}: the {part} the '---' line is empty ({form})")
    first = skipped + system.count("\n") + 3  # the file's line of the template's first line (after system, ---)
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    try:
        used = jinja2.meta.find_undeclared_variables(env.parse(user))
    except jinja2.TemplateSyntaxError as e:
        raise PromptError(f"{origin}:{first + (e.lineno or 1) - 1}: template syntax: {e.message}") from None
    if unknown := sorted(used - PROMPT_VARIABLES):
        raise PromptError(f"{origin}: the user template uses {', '.join(unknown)}, which the tagger does not provide "
                          f"(it provides: {', '.join(sorted(PROMPT_VARIABLES))})")
    for n, line in enumerate(user.split("\n"), start=first):
        if m := _FORMAT_PLACEHOLDER.search(_without_jinja2(line)):
            raise PromptError(f"{origin}:{n}: {{{m.group(1)}}} is not a placeholder here: the template is jinja2, "
                              f"write {{{{ {m.group(1)} }}}}")
    if not used & {"content", "item"}:
        raise PromptError(f"{origin}: the user template never shows the item (use {{{{ content }}}} or {{{{ item }}}})")
    if bad := _unknown_attribute(env.parse(user)):
        var, attr, lineno, known = bad
        raise PromptError(f"{origin}:{first + lineno - 1}: {var}.{attr}: the {var} has no attribute {attr!r} (it has: "
                          f"{', '.join(known)})")
    return Prompt(name, system.strip(), env.from_string(user), digest, answer)


def _unknown_attribute(tree: jinja2.nodes.Template) -> tuple[str, str, int, list[str]] | None:
    """The first ``item.<name>`` or ``evidence.<name>`` in a parsed template that an Item or an
    Evidence does not have: (variable, attribute, template line, the public names it has); None
    when every one exists. ``{{ item.nosuch }}`` passed the load checks (the variable is known) and
    failed on every item at render, each an ``internal.UndefinedError`` record, and ``--dry-run``
    ended in a traceback."""
    from linernotes.agents.state import Evidence

    models = {"item": Item, "evidence": Evidence}
    for node in tree.find_all(jinja2.nodes.Getattr):
        target = node.node
        if isinstance(target, jinja2.nodes.Name) and target.name in models:
            model = models[target.name]
            known = sorted({*model.model_fields, *(n for n in vars(model) if not n.startswith("_")
                                                     and callable(getattr(model, n)))} - {"model_config"})
            if node.attr not in known and not hasattr(model, node.attr):
                return target.name, node.attr, node.lineno, known
    return None


def _without_jinja2(line: str) -> str:
    """``line`` without its jinja2 tags, expressions and comments ({% %}, {{ }}, {# #})."""
    return re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", "", line)


@dataclass
class AgentRuntime:
    config: TagConfig
    llm: LLMClient
    genre_taxonomies: dict[str, Taxonomy]
    moods: Taxonomy
    policy: PolicyPack
    prompt: Prompt
    exemplars: Any = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    fusion: FusionArtifact | None = None
    signal_models: dict[str, Any] = field(default_factory=dict)  # declared signal -> its fitted model
    stale_signal_models: dict[str, Any] = field(default_factory=dict)  # signal -> StaleModel (another spec's fit)

    def taxonomy_for(self, item: Item) -> Taxonomy:
        return self.genre_taxonomies[item.type]


def _versions(music: Taxonomy, podcasts: Taxonomy, moods: Taxonomy, policy: PolicyPack) -> dict[str, str]:
    return {
        "linernotes": __version__,
        "taxonomy.genres": f"{music.ref}#{music.digest}",
        "taxonomy.podcasts": f"{podcasts.ref}#{podcasts.digest}",
        "taxonomy.moods": f"{moods.ref}#{moods.digest}",
        "policy": f"{policy.ref}#{policy.digest}",
        "retrieval": f"bm25s+{DEFAULT_EMBEDDER}",
    }


def tool_versions_of(config: TagConfig) -> dict[str, str]:
    """The pack and tool versions a runtime built from ``config`` records in provenance
    (``tool_versions``, before the exemplar index and fusion are added), without building it:
    the packs are loaded, no index or model is."""
    return _versions(load_taxonomy(config.genre_taxonomy), load_taxonomy(config.podcast_taxonomy),
                     load_taxonomy(config.mood_taxonomy), load_policy_pack(config.policy_pack))


def build_runtime(config: TagConfig, llm: LLMClient | None = None) -> AgentRuntime:
    music = load_taxonomy(config.genre_taxonomy)
    podcasts = load_taxonomy(config.podcast_taxonomy)
    moods = load_taxonomy(config.mood_taxonomy)
    policy = load_policy_pack(config.policy_pack)
    exemplars = None
    if config.exemplars:
        from linernotes.tools.retrieval.exemplars import open_exemplar_index

        exemplars = open_exemplar_index(config.exemplars)
    for tax in (music, podcasts, moods):
        taxonomy_index(tax)  # BM25 + embeddings built once per process, before the first item
    versions = _versions(music, podcasts, moods, policy)
    if exemplars is not None:
        versions["exemplars"] = f"{len(exemplars)} items, {exemplars.meta.embedder}"
    fusion = open_fusion(config.fusion)
    if fusion is not None:
        versions["fusion"] = fusion.content_hash
    if exemplars is not None and multiprocessing.parent_process() is None and (
            note := foreign_index_note(config.exemplars, exemplars, fusion, music.id)):
        log.warning("liner: warning: %s", note)
    models, stale = signal_models(config)
    return AgentRuntime(
        config=config,
        llm=llm or LLMClient(config.llm),
        genre_taxonomies={"track": music, "episode": podcasts, "chapter": podcasts},
        moods=moods,
        policy=policy,
        prompt=load_prompt(config.prompt),
        exemplars=exemplars,
        tool_versions=versions,
        fusion=fusion,
        signal_models=models,
        stale_signal_models=stale,
    )


def foreign_index_note(folder: Any, exemplars: Any, fusion: FusionArtifact | None, vocabulary: str) -> str | None:
    """A warning when most of an exemplar index's items carry no genre the fitted genres
    combiner's training index used, else None. The combiner reads each candidate's share of *its
    training* index (``label_prior``: 0 for every other label), not of the index given, so on a
    catalog of other genres it leans to the training set's labels: 6 tracks against a 4-item
    index of grunge, jungle and jazz got drum-and-bass for grunge, punk and smooth-jazz tracks
    (their text and same-artist neighbour said otherwise), with no word. Run once per process
    that builds the runtime; the run's own process warns (not each ``--workers`` process).
    ``vocabulary``: the run's music taxonomy id (a combiner fitted on another is not used)."""
    field = fusion.get("genres", vocabulary) if fusion is not None else None
    prior = getattr(getattr(field, "model", None), "prior", None) or {}
    known = {g for g, share in prior.items() if share > 0}
    records = getattr(exemplars, "records", None) or []
    if not known or not records:
        return None
    outside = sum(1 for r in records if not known & set(r.genres))
    if outside * 2 <= len(records):
        return None
    common = ", ".join(sorted(known, key=lambda g: -prior[g])[:3])
    return (f"--exemplars {folder}: {outside} of {len(records)} items carry no genre the genres combiner's "
            f"training index used (its most common: {common}); it scores a label by its share of that index, "
            "so on this one its genres lean to those labels: compare a few records with --fusion none")


def signal_models(config: TagConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fitted models for the run's declared signals from the fusion folder's ``signals/``, those
    fitted on the same spec content; ``{name: StaleModel}`` for models fitted on another version
    of the spec). A stale model is warned about once per run on stderr (the run's own process
    builds the runtime once; ``--workers`` processes build theirs too and stay quiet) and the
    signals node marks the value uncalibrated in its provenance. Models in the folder of signals
    the run does not declare are warned about too (``undeclared_models_note``)."""
    if config.fusion in (None, "none"):
        return {}, {}
    folder = default_fusion_dir() if config.fusion == "default" else Path(config.fusion)
    if multiprocessing.parent_process() is None and (note := undeclared_models_note(folder, config.signals)):
        log.warning("liner: warning: %s", note)
    if not config.signals:
        return {}, {}
    from linernotes.signals.fit import open_models

    models, stale = open_models(folder, config.signals)
    if stale and multiprocessing.parent_process() is None:
        for s in stale.values():
            log.warning("liner: warning: %s", s.message())
    return models, stale


def undeclared_models_note(folder: Path, signals: list[Any]) -> str | None:
    """A warning when ``folder/signals/`` holds fitted models of declared signals the run's
    ``--signals`` does not declare, else None: they are never applied, and the records carry no
    value of them. QA session 25: 'liner tag ... --fusion FIT' after 'liner fit ... --signals
    mood.yaml -o FIT', without --signals, tagged every item without mood, exit 0, not a word."""
    held = sorted(p.stem for p in (folder / "signals").glob("*.json")) if (folder / "signals").is_dir() else []
    missing = [n for n in held if n not in {s.name for s in signals}]
    if not missing:
        return None
    return (f"--fusion {folder} holds fitted models of declared signals {', '.join(missing)} ({folder / 'signals'}), "
            f"that {'--signals does not declare' if signals else 'this run does not declare (no --signals)'}: they are not "
            "applied and no record holds those signals; pass the spec they were fitted on (--signals SPEC.yaml)")


def open_fusion(setting: str | None) -> FusionArtifact | None:
    """``None``/``"none"``: no fusion; ``"default"``: the shipped artifact (absent in a checkout
    that has not fitted one yet); else a fusion folder (a bad one is a FusionError); a folder of
    fitted declared signals only (``DIR/signals/``, no fusion.json): the shipped artifact for
    the built-ins."""
    if setting is None or setting == "none":
        return None
    if setting == "default":
        folder = default_fusion_dir()
        return _load_fusion_once(folder) if (folder / "fusion.json").is_file() else None
    folder = Path(setting)
    if folder.is_dir() and not (folder / "fusion.json").exists() and (folder / "signals").is_dir():
        # what ``liner fit --signals -o DIR`` writes: declared signals' models only; the built-in
        # fields keep the shipped combiners (as without --fusion), the signals read DIR/signals
        return open_fusion("default")
    return _load_fusion_once(setting)


# artifacts loaded by open_fusion in this process, by the file's identity (path, inode, size,
# modification time): a rewritten file is loaded again
_FUSIONS: dict[tuple[str, int, int, int], FusionArtifact] = {}
_FUSIONS_MAX = 4


def _load_fusion_once(path: str | Path) -> FusionArtifact:
    """``load_fusion(path)``, once per process for an unchanged file: every runtime of the
    process then shares the artifact, which tagging only reads (its lazily built caches, such as
    the TF-IDF vectorizers, are pure). Parsing and checking the 12 MB default costs ~0.17 s of
    CPU, which each ``--workers`` process paid again on the pool's startup although the workers'
    forkserver had loaded it (``run.warm``), and the run's own process again for the pool. A file
    that cannot be read is load_fusion's error, as before."""
    p = Path(path)
    f = p / FILE if p.is_dir() else p
    try:
        key = (str(f.resolve()), *file_stamp(f))
    except OSError:
        return load_fusion(path)
    art = _FUSIONS.get(key)
    if art is None:
        art = load_fusion(path)
        if len(_FUSIONS) >= _FUSIONS_MAX:
            _FUSIONS.clear()
        _FUSIONS[key] = art
    return art
