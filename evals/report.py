"""Human-readable output: a metrics table for ``liner eval``, a PR-comment summary and an HTML
report (plots as inline SVG, no CDN) for ``liner gate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from linernotes.evals.record import MetricValue, RunRecord

if TYPE_CHECKING:
    from linernotes.evals.gate import GateResult


def fmt(m: MetricValue) -> str:
    ci = f" [{m.ci_low:.3f}, {m.ci_high:.3f}]" if m.ci_low is not None and m.ci_high is not None else ""
    return f"{m.value:.3f}{ci}"


def summary_markdown(record: RunRecord) -> str:
    lines = [f"### {record.spec}: {record.model} · prompt {record.prompt_hash} · {len(record.items)} items",
             "", "| metric | value [95% CI] | n |", "|---|---|---|"]
    for name, m in record.metrics.items():
        lines.append(f"| {name} | {fmt(m)} | {m.n} |")
    if record.failures:
        lines += ["", "failures: " + ", ".join(f"{k} × {v}" for k, v in sorted(record.failures.items()))]
    skipped = record.extras.get("skipped") or {}
    if skipped:
        lines += ["", "skipped: " + "; ".join(f"{k} ({v})" for k, v in sorted(skipped.items()))]
    if record.repeat_spread:
        lines += ["", "run-to-run spread (uncached repeats): " + ", ".join(
            f"{k} sd {v['sd']:.4f}" for k, v in record.repeat_spread.items() if not k.startswith("run."))]
    return "\n".join(lines) + "\n"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def gate_markdown(result: GateResult) -> str:
    """A PR comment: verdict first, then one row per rule, then the worst items."""
    b, c = result.baseline, result.candidate
    verdict = "✅ PASS" if result.passed else "❌ REGRESSION"
    lines = [f"## liner gate: {verdict}", "",
             f"{b.spec} · {result.n_items} items (paired) · baseline `{b.prompt_hash}` ({b.model}) → "
             f"candidate `{c.prompt_hash}` ({c.model})", "",
             "| rule | baseline | candidate | change [95% CI] | verdict |", "|---|---|---|---|---|"]
    for o in result.outcomes:
        r = o.rule
        desc = f"`{r.metric}` {'↓' if r.direction == 'lower' else '↑'} max drop {r.max_drop:g} @ {r.confidence:.0%}"
        change = "—" if o.delta is None else f"{o.delta:+.4f} [{_num(o.ci_low)}, {_num(o.ci_high)}]"
        mark = {"pass": "pass", "fail": "**FAIL**", "not_applicable": "n/a"}[o.status]
        lines.append(f"| {desc} | {_num(o.baseline)} | {_num(o.candidate)} | {change} | {mark}: {o.reason} |")
    if c.failures or b.failures:
        lines += ["", f"failures: baseline {sum(b.failures.values())}, candidate {sum(c.failures.values())} "
                  f"({', '.join(f'{k} × {v}' for k, v in sorted(c.failures.items())) or 'none'})"]
    if result.regressions:
        lines += ["", "<details><summary>biggest per-item regressions</summary>", "",
                  "| id | score | baseline → candidate | input |", "|---|---|---|---|"]
        for r in result.regressions:
            text = " · ".join(f"{k}: {v}" for k, v in r.inputs.items())[:120].replace("|", "\\|")
            lines.append(f"| {r.id} | {r.score} | {r.baseline:.3f} → {r.candidate:.3f} | {text} |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _esc(x: object) -> str:
    import html

    return html.escape(str(x))


def render_html(result: GateResult) -> str:
    from linernotes.evals import plots

    b, c = result.baseline, result.candidate
    parts = [f"<h1>liner gate: {'PASS' if result.passed else 'REGRESSION'}</h1>",
             f"<p>{_esc(b.spec)} · {result.n_items} paired items · baseline {_esc(b.prompt_hash)} "
             f"({_esc(b.model)}) → candidate {_esc(c.prompt_hash)} ({_esc(c.model)})</p>",
             "<h2>Rules</h2><table><tr><th>metric</th><th>baseline</th><th>candidate</th><th>change</th>"
             "<th>95% CI</th><th>verdict</th></tr>"]
    for o in result.outcomes:
        cls = {"pass": "ok", "fail": "bad", "not_applicable": "na"}[o.status]
        delta = "—" if o.delta is None else f"{o.delta:+.4f}"
        parts.append(f"<tr class='{cls}'><td>{_esc(o.rule.metric)}</td><td>{_num(o.baseline)}</td>"
                     f"<td>{_num(o.candidate)}</td><td>{delta}</td><td>[{_num(o.ci_low)}, {_num(o.ci_high)}]</td>"
                     f"<td>{_esc(o.status)}: {_esc(o.reason)}</td></tr>")
    parts.append("</table><h2>All metrics</h2><table><tr><th>metric</th><th>baseline</th><th>candidate</th></tr>")
    for name in sorted(set(b.metrics) | set(c.metrics)):
        bm, cm = b.metrics.get(name), c.metrics.get(name)
        parts.append(f"<tr><td>{_esc(name)}</td><td>{fmt(bm) if bm else '—'}</td><td>{fmt(cm) if cm else '—'}</td></tr>")
    parts.append("</table><h2>Plots</h2><div class='plots'>")
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


def write_html(result: GateResult, path: Path) -> None:
    path.write_text(render_html(result), encoding="utf-8")
