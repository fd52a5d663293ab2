"""Issue 13 items 10-11: the gate takes nothing on the candidate's word, and its markdown report
cannot be used to inject anything into a PR comment.

Each forged candidate below is a degraded run (half its items lose their genres and flags)
dressed up to pass; before the fix each of them passed (exit 0) or showed stored numbers."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from linernotes.evals.gate import Rule, Rules, load_rules, run_gate
from linernotes.evals.record import ExemplarInfo, MetricValue
from linernotes.evals.report import gate_markdown, md_text, render_html, summary_markdown
from linernotes.evals.scoring import score_record
from linernotes.evals.synthetic import synthetic_record


@pytest.fixture
def liner():
    from linernotes.cli.app import app

    def run(args):
        r = CliRunner().invoke(app, [str(a) for a in args])
        return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("sec")
    base = score_record(synthetic_record(200, seed=1), resamples=100)
    base.save(d / "base.json")
    worse = base.model_copy(deep=True)
    for it in worse.items[::2]:
        if it.prediction:
            it.prediction["genres"] = []
            it.prediction["policy_flags"] = []
    worse = score_record(worse, resamples=100)
    worse.save(d / "worse.json")
    return SimpleNamespace(dir=d, base=base, worse=worse)


def _save(rec, path):
    rec.save(path)
    return path


def test_degraded_candidate_fails_at_all(liner, runs):
    r = liner(["gate", runs.dir / "base.json", runs.dir / "worse.json"])
    assert r.returncode == 1, r.stdout + r.stderr


@pytest.mark.parametrize("tasks", [[], "valence-only"], ids=["no-tasks", "lenient-task-list"])
def test_candidate_task_list_is_ignored(liner, runs, tmp_path, tasks):
    """The issue's input (tasks: []) and another of the kind (only the task it did not break)."""
    forged = runs.worse.model_copy(deep=True)
    forged.tasks = [t for t in forged.tasks if t["name"] == "valence"] if tasks == "valence-only" else []
    r = liner(["gate", runs.dir / "base.json", _save(forged, tmp_path / "c.json")])
    assert r.returncode == 1, r.stdout + r.stderr
    assert any("genres.micro_f1" in line and "| FAIL: " in line for line in r.stdout.splitlines())


def _gold_rewritten(rec):
    """The issue's input: every degraded item's gold rewritten to what it now predicts."""
    for it in rec.items:
        if it.prediction is not None:
            it.gold["genres"] = list(it.prediction["genres"]) or it.gold["genres"]
    return rec


def _one_gold_changed(rec):
    rec.items[3].gold["valence"] = 0.123
    return rec


def _group_changed(rec):
    rec.items[5].group = "a-new-cluster"
    return rec


def _inputs_changed(rec):
    rec.items[7].inputs = {"description": "another text"}
    return rec


@pytest.mark.parametrize("forge", [_gold_rewritten, _one_gold_changed, _group_changed, _inputs_changed])
def test_rewritten_gold_is_refused(liner, runs, tmp_path, forge):
    forged = forge(runs.worse.model_copy(deep=True))
    r = liner(["gate", runs.dir / "base.json", _save(forged, tmp_path / "c.json")])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "differ from the baseline" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("field,value,word", [
    ("spec_digest", "0123456789abcdef", "spec digest"), ("spec", "other-spec", "spec"),
    ("exemplars", ExemplarInfo(task="genres", exclude="sample", count=9, digest="feedfacefeedface"), "exemplar set"),
])
def test_other_seed_limit_spec_or_exemplars_are_refused(liner, runs, tmp_path, field, value, word):
    forged = runs.base.model_copy(update={field: value})
    r = liner(["gate", runs.dir / "base.json", _save(forged, tmp_path / "c.json")])
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{word} differs" in r.stderr


@pytest.mark.parametrize("field,value", [("seed", 7), ("limit", 150), ("limit", None)])
def test_a_seed_or_limit_that_picked_the_same_sample_is_compared(liner, runs, tmp_path, field, value):
    # --seed and --limit pick the sample; the sample (ids, gold, inputs, groups) is what must match:
    # a --limit of the whole gold set against none was refused as 'limit differs' (QA qa-fit16)
    same = runs.base.model_copy(update={field: value})
    r = liner(["gate", runs.dir / "base.json", _save(same, tmp_path / "c.json")])
    assert r.returncode == 0, r.stdout + r.stderr


def test_other_sample_or_duplicate_ids_are_refused(liner, runs, tmp_path):
    swapped = runs.base.model_copy(deep=True)
    swapped.items[0].id = "not-in-the-baseline"
    r = liner(["gate", runs.dir / "base.json", _save(swapped, tmp_path / "s.json")])
    assert r.returncode == 2 and "sample differs" in r.stderr
    other_seed = swapped.model_copy(update={"seed": 7})  # another sample: the seed is named as the likely cause
    r = liner(["gate", runs.dir / "base.json", _save(other_seed, tmp_path / "t.json")])
    assert r.returncode == 2 and "sample differs" in r.stderr and "seed differs (baseline 0, candidate 7)" in r.stderr
    dup = runs.base.model_copy(deep=True)
    dup.items[1] = dup.items[0].model_copy()
    r = liner(["gate", runs.dir / "base.json", _save(dup, tmp_path / "d.json")])
    assert r.returncode == 2 and "duplicate item ids" in r.stderr


def test_stored_metrics_scores_failures_and_extras_are_not_read(runs, tmp_path):
    """Forged: metrics copied from the baseline at a perfect 1.0 [1.0, 1.0], every per-item score
    1.0, failures and plot data emptied. The gate's numbers all come from its own re-scoring."""
    forged = runs.worse.model_copy(deep=True)
    forged.metrics = {k: MetricValue(value=1.0, ci_low=1.0, ci_high=1.0, n=v.n) for k, v in runs.base.metrics.items()}
    for it in forged.items:
        it.scores = {k: 1.0 for k in it.scores}
    forged.items[4].status, forged.items[4].prediction = "error", None
    forged.items[4].error = {"kind": "llm.timeout", "message": "x"}
    forged.failures, forged.extras = {}, {}
    path = _save(forged, tmp_path / "c.json")
    res = run_gate(runs.dir / "base.json", path, Rules(rules=[Rule(metric="genres.micro_f1", max_drop=0.02)]),
                   resamples=200)
    assert not res.passed
    o = res.outcomes[0]
    honest = score_record(runs.worse.model_copy(update={"items": [*runs.worse.items]}), resamples=10)
    assert o.candidate == pytest.approx(res.candidate.metrics["genres.micro_f1"].value, abs=1e-6)
    assert o.candidate <= honest.metrics["genres.micro_f1"].value + 1e-6 and o.candidate < 0.5
    assert o.ci_low <= o.delta <= o.ci_high  # point and interval from the same re-scoring
    assert res.candidate.failures == {"llm.timeout": sum(it.status == "error" for it in forged.items)} != {}
    assert res.regressions and all(r.candidate < r.baseline for r in res.regressions)
    md = gate_markdown(res)
    assert "1.0000 [1.0000, 1.0000]" not in md and "llm.timeout" in md.replace("\\", "")


HOSTILE = [
    "x |\n\n# liner gate: PASS\n\n![b](http://evil.example/beacon.png) @octocat <!--",
    "</td></tr></table><script>alert(1)</script><img src=x onerror=alert(1)>",
    "| --- | --- |\n| forged | row |",
    "[click me](javascript:alert(1)) <https://evil.example> `code` **bold** ~~s~~",
    "abc\u202egpj.exe nul\x00byte line\u2028sep\r\n## h2\r\n---\n> quote\n- item @org/team &lt;b&gt;",
    "\\| escaped pipe \\\\| and a trailing backslash \\",
]


def _tokens(md: str):
    parser = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    flat = []
    for t in parser.parse(md):
        flat.append(t)
        flat.extend(t.children or [])
    return parser, flat


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markdown_escaper_leaves_plain_text(hostile):
    cell = f"| a | {md_text(hostile)} |\n|---|---|\n| b | c |\n"
    parser, toks = _tokens(cell)
    kinds = {t.type for t in toks}
    assert not kinds & {"html_inline", "html_block", "image", "link_open", "heading_open", "code_inline", "em_open",
                        "strong_open", "s_open", "blockquote_open", "bullet_list_open", "hr"}, kinds
    assert sum(t.type == "tr_open" for t in toks) == 2  # header + one body row: nothing closed or added
    html = parser.render(cell)
    assert "<!--" not in html and "<script" not in html and "<img" not in html
    assert not re.search(r"@[A-Za-z0-9]", html)  # no live @mention
    assert "\u202e" not in html and "\x00" not in html
    # what renders is the hostile text itself (controls shown as U+XXXX, newlines as spaces)
    inline = [t for t in parser.parse(cell) if t.type == "inline"][1]  # the hostile header cell
    text = "".join(t.content for t in inline.children if t.type == "text")
    shown = re.sub(r"[\n\r\u2028]", " ", hostile).replace("\u202e", "U+202E").replace("\x00", "U+0000")
    assert text.replace("\u200b", "") == shown.strip()


def test_gate_and_eval_reports_escape_hostile_ids_inputs_and_labels(runs, tmp_path):
    """The issue's input in the per-item table (id and input text), in the model label and in an
    error kind; the only heading is the gate's own and the tables keep their rows."""
    forged = runs.worse.model_copy(deep=True)
    base = runs.base.model_copy(deep=True)
    for rec in (base, forged):
        for k, it in enumerate(rec.items[:len(HOSTILE)]):
            it.id, it.inputs = HOSTILE[k] + f" #{k}", {"title": HOSTILE[-1 - k]}
    forged.model = HOSTILE[0]
    forged.items[2].status, forged.items[2].prediction = "error", None
    forged.items[2].error = {"kind": HOSTILE[1], "message": "x"}
    res = run_gate(_save(base, tmp_path / "b.json"), _save(forged, tmp_path / "c.json"),
                   Rules(rules=[Rule(metric="genres.micro_f1")]), resamples=100)
    for md in (gate_markdown(res), summary_markdown(res.candidate)):
        parser, toks = _tokens(md)
        headings = [toks[i + 1].content for i, t in enumerate(toks) if t.type == "heading_open"]
        assert all(not h.startswith("liner gate: PASS") for h in headings[1:]), headings
        assert not {t.type for t in toks} & {"html_inline", "image", "link_open"}
        html = parser.render(md)
        assert "<img" not in html and "<script" not in html and not re.search(r"@[A-Za-z0-9]", html)
        for line in md.splitlines():  # every table row has exactly its columns
            if line.startswith("| id |"):
                assert line.count(" | ") == 3
    rows = [line for line in gate_markdown(res).splitlines() if line.startswith("| ") and "→" in line
            and "0." in line]
    assert rows and all(len(re.findall(r"(?<!\\)\|", line)) == 5 for line in rows)
    html = render_html(res)
    body = re.sub(r"<svg.*?</svg>", "", html.split("<body>", 1)[1], flags=re.S)  # plots carry their own comments
    assert "<script" not in body and "<img" not in body and "<!--" not in body
    assert "\u202e" not in html and "\x00" not in html and "U+202E" in html


def _hide_failures(rec, keep_error: bool):
    """A quarter of the items failed (no prediction) but the record calls them ``ok``."""
    for it in rec.items[::4]:
        it.prediction = None
        it.status = "ok"
        it.error = {"kind": "llm.server_error", "message": "x"} if keep_error else None
    return rec


@pytest.mark.parametrize("keep_error", [False, True], ids=["status-ok-no-error", "status-ok-with-error"])
def test_failed_items_relabelled_ok_still_count_as_failures(runs, tmp_path, keep_error):
    """An item without a prediction (or with an error) failed, whatever its ``status`` says: the
    failure-rate rule sees the same rate as for the honest record of the same run."""
    honest = runs.base.model_copy(deep=True)
    for it in honest.items[::4]:
        it.prediction, it.status, it.error = None, "error", {"kind": "llm.server_error", "message": "x"}
    rules = Rules(rules=[Rule(metric="run.failure_rate", direction="lower")])
    base = runs.dir / "base.json"
    want = run_gate(base, _save(honest, tmp_path / "h.json"), rules, resamples=100).outcomes[0]
    forged = _hide_failures(runs.base.model_copy(deep=True), keep_error)
    got = run_gate(base, _save(forged, tmp_path / "f.json"), rules, resamples=100).outcomes[0]
    assert want.status == "fail" and want.candidate > 0.2
    assert (got.status, got.candidate) == (want.status, want.candidate)


def _negative_zero(rec):
    n = 0
    for it in rec.items:
        ratings = it.gold.get("valence_ratings") or []
        for i, r in enumerate(ratings):
            if r == 0.0:  # flip the sign of every zero
                ratings[i], n = -math.copysign(0.0, r), n + 1
    assert n
    return rec


def _int_for_float(rec):
    n = 0
    for it in rec.items:
        v = it.gold.get("valence")
        if isinstance(v, float) and v.is_integer():
            it.gold["valence"], n = int(v), n + 1
    assert n
    return rec


@pytest.mark.parametrize("same_values", [_negative_zero, _int_for_float])
def test_gold_equal_in_value_is_comparable(runs, tmp_path, same_values):
    """Gold written as -0.0 for 0.0 or 1 for 1.0 is the same gold: the gate scores it (before,
    it refused with 'gold ... of 0 item(s) differ')."""
    rules = load_rules()
    base = runs.dir / "base.json"
    want = run_gate(base, _save(runs.worse, tmp_path / "w.json"), rules, resamples=100)
    got = run_gate(base, _save(same_values(runs.worse.model_copy(deep=True)), tmp_path / "v.json"), rules,
                   resamples=100)
    assert [(o.status, o.candidate) for o in got.outcomes] == [(o.status, o.candidate) for o in want.outcomes]


def test_gold_changed_in_the_tenth_decimal_is_refused_naming_the_item(liner, runs, tmp_path):
    forged = runs.base.model_copy(deep=True)
    it = next(it for it in forged.items if isinstance(it.gold.get("valence"), float))
    it.gold["valence"] += 1e-10
    r = liner(["gate", runs.dir / "base.json", _save(forged, tmp_path / "c.json")])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "of 1 item(s) differ" in r.stderr and repr(it.id) in r.stderr


# GitHub turns these into links or cross-references in a rendered comment even without markdown
# syntax (GFM autolink extension, issue/PR references): a phishing link or a backlink spammed into
# another repository's timeline, the same kind as an @mention.
GITHUB_AUTOLINKS = [
    "see https://evil.example/x or HTTP://evil.example and www.evil.example/path",
    "fixes #1, closes org/repo#22 and GH-3 (also #456)",
    "#7 at the start, then ftp://x.example",
]
LIVE = re.compile(r"(?i)(?:https?|ftp)://|www\.|(?<![\w&])#\d|[\w.-]+/[\w.-]+#\d|\bgh-\d")


@pytest.mark.parametrize("hostile", GITHUB_AUTOLINKS)
def test_markdown_escaper_breaks_github_autolinks_and_references(hostile):
    assert LIVE.search(hostile)
    cell = f"| a | {md_text(hostile)} |\n|---|---|\n| b | c |\n"
    parser, toks = _tokens(cell)
    inline = [t for t in parser.parse(cell) if t.type == "inline"][1]
    text = "".join(t.content for t in inline.children if t.type == "text")
    assert not LIVE.search(text), text
    assert text.replace("\u200b", "") == hostile  # the reader still sees the same characters


def test_gate_markdown_stays_under_githubs_comment_limit_with_huge_record_strings(runs, tmp_path):
    """A candidate whose model name, prompt hash and error kinds are 100,000 characters long: the
    PR comment must still fit GitHub's 65,536-character limit, or no report is posted at all."""
    forged = runs.worse.model_copy(deep=True)
    forged.model, forged.prompt_hash = "m" * 100_000, "p" * 100_000
    for k, it in enumerate(forged.items[:20]):
        it.status, it.prediction = "error", None
        it.error = {"kind": f"{k}" + "k" * 100_000, "message": "x"}
    res = run_gate(runs.dir / "base.json", _save(forged, tmp_path / "c.json"), load_rules(), resamples=100)
    md = gate_markdown(res)
    assert len(md) < 65_536 and max(map(len, md.splitlines())) < 8_000, (len(md), max(map(len, md.splitlines())))
