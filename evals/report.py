"""Human-readable output: a metrics table for ``liner eval``, a PR-comment summary and an HTML
report (plots as inline SVG, no CDN) for ``liner gate``."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from linernotes.evals.metrics.calibration import CONSISTENCY_DRAWS
from linernotes.evals.record import MetricValue, RunRecord
from linernotes.files import write_output_text

if TYPE_CHECKING:
    from linernotes.evals.gate import GateResult


# Characters with an inline meaning anywhere in a GFM line (code, emphasis, links, images, table
# cells, strikethrough, GitHub math); CommonMark 0.31 §2.4 lets any ASCII punctuation be
# backslash-escaped. ``_`` is escaped unless both neighbours are alphanumeric (an intraword
# underscore can neither open nor close emphasis, so ``micro_f1`` stays readable).
MD_ALWAYS = frozenset("\\`*[]()!|~$")
# Only meaningful as the first character of a line (heading, list, quote, setext, thematic break).
MD_LINE_START = frozenset("#-+=.>")
HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
ZWSP = "\u200b"
MD_LIMIT = 300  # characters of one record string in a PR comment (ids, model names, error kinds)


def md_text(value: object, limit: int | None = MD_LIMIT) -> str:
    """Any text (item ids, inputs, model labels, error kinds) made inert for a markdown table cell
    or line of a PR comment: it renders as the same visible characters and nothing else.

    - newlines, tabs, U+2028/2029 become spaces (a row cannot be closed, no heading/list/quote
      can start a line);
    - other control and format characters (NUL, bidi overrides like U+202E, zero-width joiners)
      are shown as ``U+XXXX`` so a reader sees them and they cannot reorder the text;
    - ``& < >`` become entities (no raw HTML, no ``<!--`` swallowing the rest of the comment);
    - markdown punctuation is backslash-escaped (no images, links, emphasis, code spans, cells);
      a leading ``# - + = . >`` too, so the text is safe even at the start of a line;
    - ``@`` is followed by a zero-width space so no @mention or team ping fires (GitHub links
      mentions in the rendered text, where entities would already be decoded); for the same
      reason a zero-width space breaks GitHub's other automatic links: ``#123``, ``org/repo#1``
      and ``GH-1`` references (a backlink in that issue's timeline) and bare ``scheme://`` or
      ``www.`` URLs (GFM autolink extension), which no backslash escape stops.

    ``limit`` truncates the raw text first (an escape is never cut in half); by default
    ``MD_LIMIT`` characters, so no record string can push a PR comment past GitHub's 65,536."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for i, ch in enumerate(text):
        if ch in "\n\r\t\u2028\u2029\x85":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"U+{ord(ch):04X}")
        elif _autolink_break(text, i):
            out.append(("\\" if i == 0 and ch in MD_LINE_START else "") + ch + ZWSP)
        elif ch in HTML_SPECIAL:
            out.append(("\\" if i == 0 and ch == ">" else "") + HTML_SPECIAL[ch])
        elif ch in MD_ALWAYS or (i == 0 and ch in MD_LINE_START) or (ch == "_" and not _intraword(text, i)):
            out.append("\\" + ch)
        elif ch == "." and text[:i].isdigit():  # "1." would start an ordered list
            out.append("\\.")
        elif ch == "." and text[max(0, i - 3):i].lower() == "www":
            out.append(ZWSP + ".")
        elif ch == "@":
            out.append("@" + ZWSP)
        else:
            out.append(ch)
    return "".join(out)


def plain_text(value: object, limit: int | None = MD_LIMIT) -> str:
    """Any text made safe for a terminal line, shown as written: no markdown escapes or entities
    (those are for the .md report). Newlines and tabs become spaces (one value stays on its line);
    other control and format characters (ESC sequences, bidi overrides, NUL) are shown as
    ``U+XXXX``, so a record string can neither drive the terminal nor reorder what it shows."""
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    out = []
    for ch in text:
        if ch in "\n\r\t\u2028\u2029\x85":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"U+{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _heading(level: int, text: str, plain: bool) -> str:
    return text if plain else f"{'#' * level} {text}"


def _autolink_break(text: str, i: int) -> bool:
    """``text[i]`` starts what GitHub links by itself: ``#`` before a digit or letter (issue
    references), ``:`` before ``//`` (a bare URL), ``-`` of ``GH-`` before a digit."""
    ch, nxt = text[i], text[i + 1:i + 2]
    if ch == "#":
        return nxt.isalnum()
    if ch == ":":
        return text[i + 1:i + 3] == "//"
    return ch == "-" and nxt.isdigit() and text[max(0, i - 2):i].lower() == "gh"


def _intraword(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def fmt(m: MetricValue) -> str:
    """``value [low, high]``; an interval resampled over items (too few clusters) is marked
    ``items``, a withheld one reads ``(no interval)``."""
    if m.ci_low is not None and m.ci_high is not None:
        mark = " items" if m.ci_method == "items" else ""
        return f"{m.value:.3f} [{m.ci_low:.3f}, {m.ci_high:.3f}]{mark}"
    if m.ci_method == "withheld":
        return f"{m.value:.3f} (no interval)"
    return f"{m.value:.3f}"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def interval_lines(record: RunRecord, t: Callable[[object], str] = md_text) -> list[str]:
    """Which intervals are not clustered and why (issue: too few clusters is not certainty).
    ``t``: how a record string is written (``md_text`` for markdown, ``plain_text`` for a terminal)."""
    notes = record.extras.get("interval_notes") or {}
    if not notes:
        return []
    by_note: dict[str, dict[str, int]] = {}
    for name, note in notes.items():
        fam = name.rsplit(".", 1)[0] + ".*"
        by_note.setdefault(note, {})[fam] = by_note.setdefault(note, {}).get(fam, 0) + 1
    return ["", "intervals not from clustered resampling: " + "; ".join(
        f"{', '.join(f'{t(f)} ×{n}' for f, n in sorted(fams.items()))}: {t(note)}"
        for note, fams in sorted(by_note.items()))]


def baseline_lines(record: RunRecord, heading: str = "#### record vs evidence-only baselines",
                   t: Callable[[object], str] = md_text) -> list[str]:
    """Record next to each baseline, with the paired 95% CI of record minus baseline."""
    info = record.extras.get("baselines") or {}
    rows = info.get("comparison") or []
    out: list[str] = []
    if rows:
        out += ["", heading, "", "| metric | baseline | record | baseline value | record − baseline [95% CI] |",
                "|---|---|---|---|---|"]
        for r in rows:
            arrow = "↑" if r["higher_is_better"] else "↓"
            ci = f" [{_num(r['ci_low'])}, {_num(r['ci_high'])}]" if r["ci_low"] is not None else " (no interval)"
            mark = " items" if r.get("ci_method") == "items" else ""
            diff = "—" if r["diff"] is None else f"{r['diff']:+.4f}"
            out.append(f"| {t(r['metric'])} {arrow} | {t(r['baseline'])} | {_num(r['record_value'])} | "
                       f"{_num(r['baseline_value'])} | {diff}{ci}{mark} |")
    skipped = info.get("skipped") or {}
    if skipped:
        out += ["", "baselines not scored: " + "; ".join(f"{t(k)} ({t(v)})" for k, v in sorted(skipped.items()))]
    return out


def consistency_note(record: RunRecord, task: str) -> str:
    """One line: the ECE a perfectly calibrated field would show on these items (see
    ``metrics.calibration.ece_consistency``), or "" when the run has none."""
    c = record.extras.get(f"{task}.ece_consistency")
    if not c or not c.get("n"):
        return ""
    return (f"ECE if perfectly calibrated on these {c['n']} items: {c['if_calibrated']:.4f} "
            f"(95th percentile {c['if_calibrated_p95']:.4f}); observed {c['ece']:.4f}, consistency "
            + (f"p = {c['p_value']:.3f}" if c["p_value"] > 0 else f"p < {1 / CONSISTENCY_DRAWS:g}"))


def answer_note(record: RunRecord, task: str) -> str:
    """One line for a policy task: ECE, mean confidence and accuracy of its flags and of its
    ``none`` answers apart (``metrics.calibration.ece_by_answer``), or "" when the run has none."""
    by = record.extras.get(f"{task}.ece_by_answer")
    if not by:
        return ""
    names = {"flag": "flags", "none": "'none' answers"}
    parts = [f"{names[k]} ({v['n']}): ECE {v['ece']:.4f} (if calibrated {v['if_calibrated']:.4f}), mean confidence "
             f"{v['mean_confidence']:.2f}, right {v['accuracy']:.0%}" for k, v in by.items() if k in names]
    return "by answer: " + "; ".join(parts)


def clean_note(record: RunRecord, task: str) -> str:
    """One line for a policy task scored on clean texts too (spec ``clean``,
    ``metrics.false_flags``): false flags per source with the 95% Wilson upper bound, and the ECE
    over gold and clean items pooled; "" when the run has none."""
    per = record.extras.get(f"{task}.false_flags")
    if not per:
        return ""
    n, k = sum(v["items"] for v in per.values()), sum(v["flagged"] for v in per.values())
    each = ", ".join(f"{name} {v['flagged']}/{v['items']} (95% upper {v['wilson_95_upper']:.1%})"
                     for name, v in per.items())
    pooled = record.metrics.get(f"{task}.ece_with_clean")
    # a clean text that failed to tag is in no rate (it is among the run's failures): say how many
    failed = sum(1 for it in record.items if f"{task}_clean" in it.gold and it.status != "ok")
    held = ("texts the fusion was fitted on left out" if (record.tool_versions or {}).get("fusion")
            else "no fusion artifact")
    return (f"clean text (spec clean:; {held}): {k} of {n} flagged ({k / n:.1%}): {each}"
            + (f"; {failed} more failed to tag and are not counted" if failed else "")
            + (f"; ECE over gold and clean items {pooled.value:.4f}" if pooled else ""))


def hand_set_note(record: RunRecord, task: str) -> str:
    """One line when some of the task's scored confidences are hand-set, not calibrated
    probabilities (``metrics.calibration.hand_set_share``), else ""."""
    h = record.extras.get(f"{task}.hand_set")
    if not h:
        return ""
    alone = (f"ECE of the {h['n'] - h['hand_set']} calibrated ones alone: {h['ece_calibrated']:.4f}"
             if h["ece_calibrated"] is not None else "none is calibrated")
    took = ("" if h.get("hand_set_accepted") is None else
            f"; {h['hand_set_accepted']} of them auto-accepted, {h['hand_set_accepted_right']} of those right")
    overruled = _lexicon_dissents(record, task)
    why = ("no fitted combiner decided them: outside its fitted domain, or none for the field"
           + (f"; {overruled} of them a policy 'none' the combiner answered beside the lexicon's flag: its "
              "P(not none), uncalibrated" if overruled else ""))
    return (f"hand-set confidences: {h['hand_set']} of {h['n']} ({why}) are pooled in the ECE, AUROC, auto-accept "
            f"figures and the table{took}; {alone}")


def _lexicon_dissents(record: RunRecord, task: str) -> int:
    """How many of a policy task's scored items carry a combiner's 'none' beside the lexicon's
    flag (``agents.decisions.lexicon_dissent``): a combiner decided them, but their confidence is
    uncalibrated, so they are among the hand-set ones the note counts, which it said no fitted
    combiner decided."""
    if not any(isinstance(t, dict) and t.get("name") == task and t.get("kind") == "policy" for t in record.tasks):
        return 0
    from linernotes.agents.decisions import LEXICON_DISSENT

    def overruled(pred: dict | None) -> bool:
        review = (pred or {}).get("review")
        reasons = review.get("reasons") if isinstance(review, dict) else None
        return isinstance(reasons, list) and any(isinstance(r, str) and r.startswith(LEXICON_DISSENT) for r in reasons)

    return sum(1 for it in record.items if task in it.gold and it.status == "ok" and overruled(it.prediction))


def _fusion_of(record: RunRecord) -> str:
    """", fusion <content hash>" when the run's fields were decided by a fusion artifact (a
    prompt can stay the same while the fusion changes), and ", signal model <name> <hash>" per
    declared signal a fitted model decided (its items' ``provenance.model_hash``): a signals-only
    artifact keeps the built-in combiners, so the fusion hash alone showed no change; else ""."""
    h = (record.tool_versions or {}).get("fusion")
    models: dict[str, set[str]] = {}
    for item in record.items:
        for name, sig in ((item.prediction or {}).get("signals") or {}).items():
            prov = (sig.get("provenance") if isinstance(sig, dict) else None) or {}
            if isinstance(prov.get("model_hash"), str):
                models.setdefault(str(name), set()).add(prov["model_hash"])
    parts = [f"fusion {h}"] if h else []
    parts += [f"signal model {name} {' / '.join(sorted(hashes))}" for name, hashes in sorted(models.items())]
    return "".join(f", {p}" for p in parts)


def in_sample_message(overlap: dict[str, int], n: int) -> str:
    """Why a run's figures for fused fields are optimistic (the warning ``liner eval`` logs, and
    the report's line): the combiners saw ``overlap[field]`` of its ``n`` items."""
    fields = ", ".join(f"{f} {k} of {n}" for f, k in sorted(overlap.items()))
    # a signals-only fit (liner fit --signals): its figures are in its cv/ record (and its card)
    where = ("the artifact's cv/<spec>.signals.json record (liner fit --signals)"
             if all(f.startswith("signals.") for f in overlap) else
             "the artifact's MODEL_CARD.md (liner fit's cv/ records)")
    return (f"the fusion artifact's combiners were fitted on items of this gold set ({fields}): their figures "
            f"here are in-sample and optimistic; the cross-fitted ones are in {where}, or evaluate on items the "
            "artifact never saw")


def in_sample_note(record: RunRecord, who: str = "") -> str:
    """The report's line when the run's fusion combiners were fitted on some of its items, else "";
    ``who`` ("baseline", "candidate") names the run in a gate's report."""
    info = record.extras.get("fusion_in_sample")
    head = f"{who} IN-SAMPLE" if who else "IN-SAMPLE"
    return f"{head}: {in_sample_message(info['fields'], info['items'])}" if info else ""


def gate_in_sample_notes(result: GateResult) -> list[str]:
    """One line per gated run whose fusion combiners saw some of its items: a comparison of
    in-sample figures says little about a fusion change (an artifact that memorised them wins)."""
    return [n for n in (in_sample_note(result.baseline, "baseline"), in_sample_note(result.candidate, "candidate")) if n]


def risk_coverage_lines(record: RunRecord, t: Callable[[object], str] = md_text) -> list[str]:
    """Per field: share auto-accepted and precision of the accepted ones at each threshold."""
    out: list[str] = []
    for key in sorted(k for k in record.extras if k.endswith(".risk_coverage")):
        task = key.removesuffix(".risk_coverage")
        rows = record.extras[key] or []
        ece = record.metrics.get(f"{task}.ece")
        out += ["", _heading(4, f"risk-coverage: {t(task)} (ECE {fmt(ece) if ece else '—'})", t is plain_text)]
        notes = [n for n in (consistency_note(record, task), answer_note(record, task), clean_note(record, task),
                             hand_set_note(record, task)) if n]
        out += [line for n in notes for line in ("", t(n))] + ["",
                "| confidence ≥ | auto-accepted | precision of accepted | n accepted |", "|---|---|---|---|"]
        for r in rows:
            out.append(f"| {r['threshold']:.2f} | {_pct(r['coverage'])} | {_pct(r['precision'])} | {r['accepted']} |")
    return out


def summary_markdown(record: RunRecord, plain: bool = False) -> str:
    """The eval summary as markdown (the ``--report`` file), or with ``plain`` as terminal text:
    the same lines and tables without markdown escapes, entities or heading marks."""
    t = plain_text if plain else md_text
    lines = [_heading(3, f"{t(record.spec)}: {t(record.model)}{t(_fusion_of(record))} · prompt "
                         f"{t(record.prompt_hash)} · {len(record.items)} items", plain), ""]
    if note := in_sample_note(record):
        lines += [t(note), ""]
    lines += ["| metric | value [95% CI] | n |", "|---|---|---|"]
    for name, m in record.metrics.items():
        if not name.startswith("baseline."):
            lines.append(f"| {t(name)} | {fmt(m)} | {m.n} |")
    lines += interval_lines(record, t)
    lines += baseline_lines(record, _heading(4, "record vs evidence-only baselines", plain), t)
    lines += risk_coverage_lines(record, t)
    if record.failures:
        lines += ["", "failures: " + ", ".join(f"{t(k)} × {v}" for k, v in sorted(record.failures.items()))]
    skipped = record.extras.get("skipped") or {}
    if skipped:
        lines += ["", "skipped: " + "; ".join(f"{t(k)} ({t(v)})" for k, v in sorted(skipped.items()))]
    if record.repeat_spread:
        lines += ["", "run-to-run spread (uncached repeats): " + ", ".join(
            f"{t(k)} sd {v['sd']:.4f}" for k, v in record.repeat_spread.items() if not k.startswith("run."))]
    return "\n".join(lines) + "\n"


def _rule_text(r, t: Callable[[object], str] = md_text) -> str:
    if r.kind == "beats_baseline":
        return f"{t(r.metric)} beats best baseline by ≥ {r.margin:g} @ {r.confidence:.0%}"
    return f"{t(r.metric)} {'↓' if r.direction == 'lower' else '↑'} max drop {r.max_drop:g} @ {r.confidence:.0%}"


def gate_markdown(result: GateResult, plain: bool = False) -> str:
    """A PR comment: verdict first, then one row per rule, then the worst items. Every value
    that comes from a record (ids, inputs, model labels, error kinds) goes through ``md_text``;
    with ``plain`` (the terminal) through ``plain_text``, and no markdown emphasis, headings or
    HTML ``<details>``."""
    t = plain_text if plain else md_text
    b, c = result.baseline, result.candidate
    verdict = "✅ PASS" if result.passed else "❌ REGRESSION"
    lines = [_heading(2, f"liner gate: {verdict}", plain), "",
             f"{t(b.spec)} · {result.n_items} items (paired, re-scored by the gate) · baseline "
             f"{t(b.prompt_hash)} ({t(b.model)}{t(_fusion_of(b))}) → candidate {t(c.prompt_hash)} "
             f"({t(c.model)}{t(_fusion_of(c))})", ""]
    for note in gate_in_sample_notes(result):
        lines += [t(note), ""]
    lines += ["| rule | baseline | candidate | change [95% CI] | verdict |", "|---|---|---|---|---|"]
    for o in result.outcomes:
        if o.delta is None:
            change = "—"
        elif o.ci_low is None:
            change = f"{o.delta:+.4f} (no interval)"
        else:
            change = f"{o.delta:+.4f} [{_num(o.ci_low)}, {_num(o.ci_high)}]"
        mark = {"pass": "pass", "fail": "FAIL" if plain else "**FAIL**", "not_applicable": "n/a"}[o.status]
        base_col = _num(o.baseline) + (f" ({t(o.versus)})" if o.versus else "")
        lines.append(f"| {_rule_text(o.rule, t)} | {base_col} | {_num(o.candidate)} | {change} | "
                     f"{mark}: {t(o.reason)} |")
    if c.failures or b.failures:
        lines += ["", f"failures: baseline {sum(b.failures.values())}, candidate {sum(c.failures.values())} "
                  f"({', '.join(f'{t(k)} × {v}' for k, v in sorted(c.failures.items())) or 'none'})"]
    lines += interval_lines(c, t)
    lines += baseline_lines(c, _heading(4, "candidate vs evidence-only baselines", plain), t)
    if result.regressions:
        lines += ["", "biggest per-item regressions:" if plain else
                  "<details><summary>biggest per-item regressions</summary>", "",
                  "| id | score | baseline → candidate | input |", "|---|---|---|---|"]
        for r in result.regressions:
            text = " · ".join(f"{k}: {v}" for k, v in r.inputs.items())
            lines.append(f"| {t(r.id, 80)} | {t(r.score)} | {r.baseline:.3f} → {r.candidate:.3f} | "
                         f"{t(text, 120)} |")
        if not plain:
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _esc(x: object) -> str:
    """HTML-escaped, with control and format characters (NUL, bidi overrides) shown as U+XXXX."""
    import html

    text = "".join(f"U+{ord(ch):04X}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
                   and ch not in "\n\t" else ch for ch in str(x))
    return html.escape(text)


def _html_tables(record: RunRecord, title: str) -> list[str]:
    parts = []
    rows = (record.extras.get("baselines") or {}).get("comparison") or []
    if rows:
        parts.append(f"<h2>{_esc(title)} vs evidence-only baselines</h2><table><tr><th>metric</th><th>baseline</th>"
                     "<th>record</th><th>baseline value</th><th>record − baseline</th><th>95% CI (paired)</th></tr>")
        for r in rows:
            ci = "no interval" if r["ci_low"] is None else f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]"
            if r.get("ci_method") == "items":
                ci += " items"
            diff = "—" if r["diff"] is None else f"{r['diff']:+.4f}"
            parts.append(f"<tr><td>{_esc(r['metric'])} {'↑' if r['higher_is_better'] else '↓'}</td>"
                         f"<td>{_esc(r['baseline'])}</td><td>{_num(r['record_value'])}</td>"
                         f"<td>{_num(r['baseline_value'])}</td><td>{diff}</td><td>{_esc(ci)}</td></tr>")
        parts.append("</table>")
    for key in sorted(k for k in record.extras if k.endswith(".risk_coverage")):
        task = key.removesuffix(".risk_coverage")
        ece = record.metrics.get(f"{task}.ece")
        parts.append(f"<h3>{_esc(title)} risk-coverage: {_esc(task)} (ECE {_esc(fmt(ece)) if ece else '—'})</h3>"
                     + "".join(f"<p>{_esc(n)}</p>" for n in (consistency_note(record, task), answer_note(record, task),
                                                             clean_note(record, task), hand_set_note(record, task)) if n)
                     + "<table><tr><th>confidence ≥</th><th>auto-accepted</th><th>precision of accepted</th>"
                     "<th>n accepted</th></tr>")
        for r in record.extras[key] or []:
            parts.append(f"<tr><td>{r['threshold']:.2f}</td><td>{_pct(r['coverage'])}</td>"
                         f"<td>{_pct(r['precision'])}</td><td>{int(r['accepted'])}</td></tr>")
        parts.append("</table>")
    return parts


def render_html(result: GateResult) -> str:
    from linernotes.evals import plots

    b, c = result.baseline, result.candidate
    parts = [f"<h1>liner gate: {'PASS' if result.passed else 'REGRESSION'}</h1>",
             f"<p>{_esc(b.spec)} · {result.n_items} paired items · baseline {_esc(b.prompt_hash)} "
             f"({_esc(b.model)}{_esc(_fusion_of(b))}) → candidate {_esc(c.prompt_hash)} "
             f"({_esc(c.model)}{_esc(_fusion_of(c))})</p>",
             *(f"<p><b>{_esc(note)}</b></p>" for note in gate_in_sample_notes(result)),
             "<h2>Rules</h2><table><tr><th>metric</th><th>baseline</th><th>candidate</th><th>change</th>"
             "<th>95% CI</th><th>verdict</th></tr>"]
    for o in result.outcomes:
        cls = {"pass": "ok", "fail": "bad", "not_applicable": "na"}[o.status]
        versus = f" vs {o.versus}" if o.versus else ""
        delta = "—" if o.delta is None else f"{o.delta:+.4f}"
        parts.append(f"<tr class='{cls}'><td>{_esc(o.rule.metric + versus)}</td><td>{_num(o.baseline)}</td>"
                     f"<td>{_num(o.candidate)}</td><td>{delta}</td><td>[{_num(o.ci_low)}, {_num(o.ci_high)}]</td>"
                     f"<td>{_esc(o.status)}: {_esc(o.reason)}</td></tr>")
    parts.append("</table><h2>All metrics</h2><table><tr><th>metric</th><th>baseline</th><th>candidate</th></tr>")
    for name in sorted(set(b.metrics) | set(c.metrics)):
        if name.startswith("baseline."):
            continue
        bm, cm = b.metrics.get(name), c.metrics.get(name)
        parts.append(f"<tr><td>{_esc(name)}</td><td>{_esc(fmt(bm)) if bm else '—'}</td>"
                     f"<td>{_esc(fmt(cm)) if cm else '—'}</td></tr>")
    parts.append("</table>")
    parts += _html_tables(c, "candidate")
    parts.append("<h2>Plots</h2><div class='plots'>")
    for key in sorted(k for k in c.extras if k.endswith(".per_class")):
        task = key.split(".")[0]
        parts.append(plots.per_class_f1(f"{task}: per-class F1", b.extras.get(key, []), c.extras[key]))
    for key in sorted(k for k in c.extras if k.endswith(".confusion")):
        cm_ = c.extras[key]
        parts.append(plots.confusion(f"{key.split('.')[0]}: confusion (candidate)", cm_["labels"], cm_["matrix"]))
    for key in sorted(k for k in c.extras if k.endswith(".reliability")):
        parts.append(plots.calibration(f"{key.split('.')[0]}: calibration",
                                       {"baseline": b.extras.get(key, []), "candidate": c.extras[key]}))
    parts.append("</div><h2>Biggest per-item regressions</h2><table><tr><th>id</th><th>score</th>"
                 "<th>baseline → candidate</th><th>input</th><th>gold</th><th>baseline</th><th>candidate</th></tr>")
    for r in result.regressions:
        parts.append(f"<tr><td>{_esc(r.id)}</td><td>{_esc(r.score)}</td><td>{r.baseline:.3f} → {r.candidate:.3f}</td>"
                     f"<td>{_esc(r.inputs)}</td><td>{_esc({k: v for k, v in r.gold.items() if not k.endswith('_ratings')})}</td>"
                     f"<td>{_esc(r.baseline_prediction)}</td><td>{_esc(r.candidate_prediction)}</td></tr>")
    parts.append("</table>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}tr.bad{background:#fdd}"
             "tr.ok{background:#efe}.plots svg{max-width:48%;height:auto;margin:4px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>liner gate</title><style>{style}</style>"
            f"</head><body>{''.join(parts)}</body></html>\n")


def render_run_html(record: RunRecord) -> str:
    """One run on its own (``liner eval --html``): metrics, record vs baselines, risk-coverage."""
    from linernotes.evals import plots

    parts = [f"<h1>liner eval: {_esc(record.spec)}</h1><p>{_esc(record.model)}{_esc(_fusion_of(record))} · "
             f"prompt {_esc(record.prompt_hash)} · "
             f"{len(record.items)} items</p>"
             + (f"<p><b>{_esc(note)}</b></p>" if (note := in_sample_note(record)) else "")
             + "<h2>Metrics</h2><table><tr><th>metric</th><th>value [95% CI]</th>"
             "<th>n</th></tr>"]
    for name, m in record.metrics.items():
        if not name.startswith("baseline."):
            parts.append(f"<tr><td>{_esc(name)}</td><td>{_esc(fmt(m))}</td><td>{m.n}</td></tr>")
    parts.append("</table>")
    notes = record.extras.get("interval_notes") or {}
    if notes:
        parts.append("<p>Intervals not from clustered resampling: " + "; ".join(
            f"{_esc(k)}: {_esc(v)}" for k, v in sorted(notes.items())) + "</p>")
    parts += _html_tables(record, "record")
    parts.append("<h2>Plots</h2><div class='plots'>")
    for key in sorted(k for k in record.extras if k.endswith(".reliability")):
        parts.append(plots.calibration(f"{key.split('.')[0]}: calibration", {"record": record.extras[key]}))
    parts.append("</div>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #ddd;padding:3px 6px}.plots svg{max-width:48%;height:auto;margin:4px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>liner eval</title><style>{style}</style>"
            f"</head><body>{''.join(parts)}</body></html>\n")


def write_html(result: GateResult, path: Path) -> None:
    write_output_text(path, render_html(result), OSError)  # a FIFO no process reads: refused, not a hang
