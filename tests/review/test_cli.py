"""The ``liner review`` commands through the real CLI."""

from __future__ import annotations

import json

import krippendorff
import pytest

from linernotes.review.agreement import reliability_matrix


def test_build_stats_export_round_trip(liner, tmp_path, tag_output, gold_file):
    """Real ``liner review`` processes; the other cases here run the same commands in process."""
    store = tmp_path / "q.sqlite"
    r = liner(["review", "build", "--run", str(tag_output), "--gold", str(gold_file), "-o", str(store)])
    assert r.returncode == 0, r.stderr
    assert "queued 4 of 5 items" in r.stdout and "model_disagrees 1" in r.stdout
    r = liner(["review", "stats", "--store", str(store), "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["fields"][0]["field"] == "valence"
    r = liner(["review", "export", "--store", str(store), "-o", str(tmp_path / "gold")])
    assert r.returncode == 0 and "6 rows, 0 changed" in r.stdout
    assert (tmp_path / "gold/v1/provenance.json").is_file()


def test_stats_reproduces_hand_checked_alpha(liner_in_process, tmp_path):
    liner = liner_in_process
    """Units [1,2,3], [2,2], [4,5]: interval alpha = 0.7 by hand (see test_agreement)."""
    gold = tmp_path / "tiny.jsonl"
    gold.write_text("".join(json.dumps({"id": f"u{n}", "text": "t", "ratings": u, "mean": sum(u) / len(u)}) + "\n"
                            for n, u in enumerate([[1, 2, 3], [2, 2], [4, 5]])))
    r = liner(["review", "stats", "--gold", str(gold), "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["fields"][0]["alpha_interval"] == pytest.approx(0.7)
    text = liner(["review", "stats", "--gold", str(gold)]).stdout
    assert "0.7000" in text and "raters are anonymous" in text


def test_stats_names_the_gold_rows_it_leaves_out(liner_in_process, tmp_path):
    """A row whose ratings review cannot read is left out of the agreement; stats said nothing
    (build names it since 55a2376), so alpha looked computed over every row."""
    gold = tmp_path / "mixed.jsonl"
    rows = [{"id": f"u{n}", "text": "t", "ratings": u, "mean": 2.0} for n, u in enumerate([[1, 2, 3], [2, 2], [4, 5]])]
    rows.append({"id": "bad", "text": "t", "ratings": ["a", "b"], "mean": 2.0})
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = liner_in_process(["review", "stats", "--gold", str(gold), "--json"])
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)[0]
    assert report["fields"][0]["alpha_interval"] == pytest.approx(0.7)  # over the 3 readable rows
    assert any("id 'bad'" in n and "'ratings'" in n and "cannot be reviewed" in n for n in report["notes"]), report
    text = liner_in_process(["review", "stats", "--gold", str(gold)]).stdout
    assert "note: " in text and "id 'bad'" in text


def test_usage_errors_exit_2(liner_in_process, tmp_path, tag_output):
    liner = liner_in_process
    r = liner(["review", "build", "--run", str(tag_output), "-o", str(tmp_path / "q.sqlite")])
    assert r.returncode == 2 and "needs --gold" in r.stderr
    r = liner(["review", "export", "--store", str(tmp_path / "none.sqlite"), "-o", str(tmp_path / "g")])
    assert r.returncode == 2 and "not found" in r.stderr
    r = liner(["review", "stats"])
    assert r.returncode == 2


def test_serve_refuses_non_loopback_without_token(liner, built_store):
    r = liner(["review", "serve", "--store", str(built_store), "--host", "0.0.0.0", "--port", "1"], timeout=60)
    assert r.returncode == 2 and "needs --token" in r.stderr and "review UI on" not in r.stderr


@pytest.mark.slow
def test_stats_on_full_vader_dev_set(liner_in_process, shared_data):
    path = shared_data / "gold/vader-multirater.dev.jsonl"
    r = liner_in_process(["review", "stats", "--gold", str(path), "--json"])
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)[0]["fields"][0]
    rows = [json.loads(line) for line in path.open()]
    direct = krippendorff.alpha(reliability_data=reliability_matrix([x["ratings"] for x in rows]),
                                level_of_measurement="interval")
    assert f["units"] == len(rows) == 14221
    assert f["alpha_interval"] == pytest.approx(direct, abs=1e-9)
    assert f["fleiss_raters"] == 20 and f["fleiss_items"] > 7000
