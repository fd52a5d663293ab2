"""Agreement reports as plain-text tables (what ``liner review stats`` prints).

Every cell, the source and each note go through ``shown_id``: annotator names come from the gold
file's ``annotators`` keys unchecked, and one holding ``ESC ]0;...BEL`` retitled the terminal (an
escape sequence printed raw); control characters now show as symbols, bidi controls as [U+XXXX].
"""

from __future__ import annotations

from linernotes.review.agreement import AgreementReport
from linernotes.review.web.views import shown_id


def _f(v: float | None) -> str:
    return "—" if v is None else f"{v:.4f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    rows = [[shown_id(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def render(reports: list[AgreementReport]) -> str:
    lines: list[str] = []
    for rep in reports:
        lines.append(f"== agreement: {shown_id(rep.source)}")
        lines += _table(["field", "units", "values", "coders", "alpha_interval", "alpha_nominal", "fleiss_kappa",
                         "fleiss_on"],
                        [[f.field, str(f.units), str(f.values), str(f.coders), _f(f.alpha_interval),
                          _f(f.alpha_nominal), _f(f.fleiss_kappa), f"{f.fleiss_items} items x {f.fleiss_raters}"]
                         for f in rep.fields])
        if rep.pairs:
            lines.append("")
            lines += _table(["field", "a", "b", "n", "cohen_kappa"],
                            [[p.field, p.a, p.b, str(p.n), _f(p.cohen_kappa)] for p in rep.pairs])
        if rep.annotators:
            lines.append("")
            lines += _table(["field", "annotator", "n", "mean_distance", "kappa_vs_consensus", "quality"],
                            [[a.field, a.annotator, str(a.n), _f(a.mean_distance), _f(a.cohen_kappa), _f(a.quality)]
                             for a in rep.annotators])
        for note in rep.notes:
            lines.append(f"note: {shown_id(note)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
