"""The monitor's markdown summary and HTML page (plots inline, works offline)."""

from __future__ import annotations

import html
from typing import Any

from linernotes.monitor.compare import Comparison, version_notes
from linernotes.monitor.load import Loaded

# how a report begins: an existing file that begins otherwise is never replaced by one (monitor.run)
MARKDOWN_START = "# liner monitor: "
HTML_START = "<!doctype html><html><head><meta charset='utf-8'><title>liner monitor</title>"


def _f(v: Any, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(cmp: Comparison, baseline: Loaded, current: Loaded) -> str:
    verdict = f"**ALERT**: {len(cmp.alerts)} threshold(s) crossed" if cmp.alerts else "**OK**: no threshold crossed"
    # what was compared is what could be read: a run mostly skipped is said with the verdict, not under it
    left_out = [f"{len(run.problems):,} of {len(run.problems) + run.table.num_rows:,} lines of the {name} run"
                for name, run in (("baseline", baseline), ("current", current)) if run.problems]
    if left_out:
        verdict += f" (left out, not output records: {'; '.join(left_out)}; see Skipped lines)"
    b, c = cmp.baseline, cmp.current
    out = [f"{MARKDOWN_START}{current.source} vs {baseline.source}", "", verdict, ""]
    out += ["| check | value | threshold | alert | note |", "|---|---|---|---|---|"]
    for ch in cmp.checks:
        out.append(f"| {ch.name} | {_f(ch.value)} | {_f(ch.threshold)} | {'**yes**' if ch.crossed else 'no'} | {ch.note} |")
    out += ["", "## Runs", "", "| figure | baseline | current |", "|---|---|---|"]
    rows = [("records", b.records, c.records), ("ok", b.ok, c.ok), ("errors", b.errors, c.errors),
            ("error rate", b.error_rate, c.error_rate), ("routed share", b.routed_share, c.routed_share),
            ("cache hits", b.cache_hits, c.cache_hits), ("paid items (not cache hits)", b.paid, c.paid),
            ("tokens / item (paid)", b.tokens_per_item, c.tokens_per_item),
            ("cost / item USD (paid)", b.cost_per_item, c.cost_per_item),
            ("items that called the LLM", b.timed, c.timed),
            ("LLM latency p50 s", b.latency_p50_s, c.latency_p50_s), ("LLM latency p95 s", b.latency_p95_s, c.latency_p95_s)]
    out += [f"| {k} | {_f(x)} | {_f(y)} |" for k, x, y in rows]
    if notes := version_notes(b, c):
        out += ["", "## Versions", ""] + [f"- {n}" for n in notes]
    if cmp.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in cmp.notes]
    kinds = sorted(set(b.error_kinds) | set(c.error_kinds))
    if kinds:
        out += ["", "## Error kinds", "", "| kind | baseline | current |", "|---|---|---|"]
        out += [f"| {k} | {b.error_kinds.get(k, 0)} | {c.error_kinds.get(k, 0)} |" for k in kinds]
    out += ["", "## Label shift (top movers)", ""]
    for s in cmp.labels:
        movers = ", ".join(f"{m.label} {m.baseline_share:.1%}→{m.current_share:.1%}" for m in s.top_movers) or "none"
        out.append(f"- **{s.field}**: JS divergence {_f(s.js_divergence)} (p={_f(s.p_value, 3)}); {movers}")
    out += ["", "## Confidence", "", "| field | baseline mean | current mean | KS | p |", "|---|---|---|---|---|"]
    out += [f"| {s.field} | {_f(s.baseline_mean)} | {_f(s.current_mean)} | {_f(s.ks_statistic)} | {_f(s.p_value)} |"
            for s in cmp.confidence]
    problems = [*baseline.problems, *current.problems]
    if problems:
        out += ["", f"## Skipped lines ({len(problems)})", ""]
        out += [f"- {p.file}:{p.line}: {p.reason}" for p in problems[:50]]
    return "\n".join(out) + "\n"


def html_page(cmp: Comparison, baseline: Loaded, current: Loaded) -> str:
    from linernotes.monitor.plots import distributions, label_shares

    md = markdown(cmp, baseline, current)
    figs = [label_shares(s.field, s.baseline_counts, s.current_counts) for s in cmp.labels if s.baseline_counts]
    figs += [distributions(f"confidence: {s.field}", s.baseline, s.current, "confidence") for s in cmp.confidence
             if s.baseline or s.current]
    colour = "#b00020" if cmp.alerts else "#1b5e20"
    return (f"{HTML_START}"
            "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}figure{margin:1em 0}</style></head><body>"
            f"<h1 style='color:{colour}'>{'ALERT' if cmp.alerts else 'OK'}: liner monitor</h1>"
            f"<pre>{html.escape(md)}</pre>" + "".join(f"<figure>{f}</figure>" for f in figs) + "</body></html>")
