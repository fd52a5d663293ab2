"""A number written with '_' in it ('0.2_5', '1_000') is refused with the reason wherever numbers
are read from text a person wrote: command-line options, CSV cells (gold ratings and scalars, a
catalog's year, review's gold and an annotator's edit), environment variables and YAML values.
QA session 22: Python's float() and int() read '0.2_5' as 0.25 and '1_0' as 10 (a spelling of
Python source alone), so each of these ran on a number nobody wrote; YAML 1.1 (PyYAML) reads an
unquoted 0.2_5 as 0.25 too."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec
from linernotes.review.fields import detect_fields
from linernotes.store.catalog import CatalogError, line_limit, read_catalog
from linernotes.tools.yaml_text import load_pack_yaml
from tests.conftest import run_liner_in_process

REASON = "'_' is not allowed in a number"


@pytest.mark.parametrize(("option", "value", "kind"), [("--timeout", "1_0", "float"), ("--limit", "1_0", "integer")])
def test_a_command_line_number_with_an_underscore_is_refused(tmp_path: Path, option: str, value: str,
                                                             kind: str) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text('{"id": "a", "title": "One"}\n', encoding="utf-8")
    r = run_liner_in_process(["tag", catalog, "-o", tmp_path / "o.jsonl", "--llm", "never", option, value])
    said = " ".join(r.stderr.replace("│", " ").split())  # the message as one line, out of its box
    assert r.returncode == 2 and f"Invalid value for '{option}': '{value}' is not a valid {kind}: {REASON}" in said, said
    assert not (tmp_path / "o.jsonl").exists()


def _spec(tmp_path: Path, data: Path, scale: str = "4") -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ninputs: {{description: text}}\n"
                    f"tasks: [{{name: valence, kind: valence, gold_field: ratings, scale: {scale}}}]\n", encoding="utf-8")
    return spec


def test_a_gold_rating_cell_with_an_underscore_is_refused_naming_the_id(tmp_path: Path) -> None:
    data = tmp_path / "g.csv"
    data.write_text("id,text,ratings\na,x,1\nb,y,0.2_5\n", encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, data)), data)
    assert str(e.value).startswith(f"{data}: id 'b': ratings: a rating '0.2_5' is not a number: {REASON}")


def test_a_yaml_number_with_an_underscore_is_refused_naming_the_line(tmp_path: Path) -> None:
    data = tmp_path / "g.csv"
    data.write_text("id,text,ratings\na,x,1\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"v\.yaml:4: .*'1_0' is read by YAML as a number with '_' dropped"):
        load_spec(_spec(tmp_path, data, scale="1_0"))
    with pytest.raises(SpecError, match=rf"v\.yaml:4: tasks\[0\]\.scale: '1_0' is not a number: {REASON}"):
        load_spec(_spec(tmp_path, data, scale="'1_0'"))  # quoted, pydantic's lax reading took it as 10 (QA s23)
    with pytest.raises(ValueError, match=r"^p\.yaml:2: not valid YAML \('1_0' is read by YAML as a number"):
        load_pack_yaml("name: p\nseverity: 1_0\nid: a_1\n", "p.yaml")


def test_a_catalog_year_with_an_underscore_is_its_rows_error(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,title,year\na,One,2020\nb,Two,2_020\n", encoding="utf-8")
    rows = list(read_catalog(p))
    assert rows[0].item.year == 2020 and rows[1].item is None
    assert f"year '2_020' is not a number: {REASON}" in rows[1].error.message


def test_an_environment_number_with_an_underscore_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINER_MAX_LINE_BYTES", "16_000")
    with pytest.raises(CatalogError, match="LINER_MAX_LINE_BYTES='16_000': expected a positive number of bytes"):
        line_limit()


def test_review_refuses_an_underscore_in_gold_and_in_an_annotators_value() -> None:
    (valence,) = [f for f in detect_fields({"id": "a", "valence": 0.1}) if f.name == "valence"]
    assert REASON in valence.gold_problem({"valence": "0.2_5"})
    with pytest.raises(ValueError, match="must be a number"):
        valence.parse("0.2_5")
    assert valence.parse("0.25") == 0.25


def _fusion_with(tmp_path: Path, field_key: str, value: object) -> Path:
    import json

    from linernotes.fusion.artifact import default_fusion_dir

    raw = json.loads((default_fusion_dir() / "fusion.json").read_text(encoding="utf-8"))
    raw["fields"]["genres"][field_key] = value
    (tmp_path / "fusion.json").write_text(json.dumps(raw), encoding="utf-8")
    return tmp_path / "fusion.json"


def test_a_quoted_number_with_an_underscore_is_refused_in_every_file_a_model_reads(tmp_path: Path) -> None:
    """Quoted, '0.2_5' is a YAML / JSON string, which pydantic's lax float / int read as 0.25 / 10
    (QA session 23): each boundary model refuses it naming the file, line and key where it has them."""
    from linernotes.evals.gate import GateError, load_rules
    from linernotes.fusion.artifact import FusionError, load_fusion
    from linernotes.monitor.thresholds import MonitorInputError, load_thresholds
    from linernotes.signals.spec import SignalSpecError, parse_signals

    data = tmp_path / "g.csv"
    data.write_text("id,text,ratings\na,x,1\n", encoding="utf-8")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: p\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: policy, kind: policy, gold_field: ratings}]\nclean: {data: c.jsonl, limit: '1_0'}\n",
                    encoding="utf-8")
    with pytest.raises(SpecError, match=rf"p\.yaml:5: clean\.limit: '1_0' is not a whole number: {REASON}"):
        load_spec(spec)
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: genres.f1\n    max_drop: '0.0_2'\n", encoding="utf-8")
    with pytest.raises(GateError, match=rf"gates\.yaml:3: .*rules\.0\.max_drop: '0\.0_2' is not a number: {REASON}"):
        load_rules(gates)
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("alpha: 0.05\nmin_items: '1_0'\n", encoding="utf-8")
    with pytest.raises(MonitorInputError, match=rf"t\.yaml:2: min_items: '1_0' is not a whole number: {REASON}"):
        load_thresholds(thresholds)
    with pytest.raises(SignalSpecError, match=rf"s\.yaml:3: range\.0: '1_0' is not a number: {REASON}"):
        parse_signals("name: bpm\nkind: scalar\nrange: ['1_0', 200]\n", "s.yaml")
    with pytest.raises(SignalSpecError, match=rf"s\.yaml:4: review_threshold: '0\.2_5' is not a number: {REASON}"):
        parse_signals("name: bpm\nkind: scalar\nrange: [10, 200]\nreview_threshold: '0.2_5'\n", "s.yaml")
    with pytest.raises(FusionError, match=rf"fusion\.json: not a valid fusion artifact: fields\.genres\.threshold: "
                       rf"Value error, '0\.2_5' is not a number: {REASON}"):
        load_fusion(_fusion_with(tmp_path, "threshold", "0.2_5"))
    # quoted without '_' a number is read as before, and a plain JSON number is untouched
    assert load_fusion(_fusion_with(tmp_path, "threshold", "0.25")).fields["genres"].threshold == 0.25
    assert parse_signals("name: bpm\nkind: scalar\nrange: ['10', 200.5]\n", "s.yaml")[0].range == (10.0, 200.5)


def test_settings_and_request_models_refuse_a_quoted_number_with_an_underscore() -> None:
    """Settings and request bodies built from text (a JSON body, a config) name the field."""
    from pydantic import ValidationError

    from linernotes.config import TagConfig
    from linernotes.service.app import ServiceOptions

    for model, key, value, kind in [(ServiceOptions, "concurrency", "1_0", "a whole number"),
                                    (TagConfig, "review_threshold", "0.2_5", "a number")]:
        with pytest.raises(ValidationError) as e:
            model.model_validate({key: value})
        (err,) = e.value.errors()
        assert err["loc"] == (key,) and f"{value!r} is not {kind}: {REASON}" in err["msg"]
        assert getattr(model.model_validate({key: value.replace("_", "")}), key) == float(value.replace("_", ""))


def test_text_numbers_checks_numbers_in_containers_and_keeps_text_where_text_is_allowed() -> None:
    from pydantic import Field, ValidationError

    from linernotes.numbers import TextNumbers

    class Inner(TextNumbers):
        x: float = Field(ge=0)

    class Outer(TextNumbers):
        a: float | None = None
        ks: dict[str, int] = {}
        pair: tuple[int, float] | None = None
        either: float | str = 0.0
        inner: list[Inner] = []

    for body, loc in [({"a": "0.2_5"}, ("a",)), ({"ks": {"k": "1_0"}}, ("ks", "k")),
                      ({"pair": ["1", "1_0"]}, ("pair", 1)), ({"inner": [{"x": 1}, {"x": "1_0"}]}, ("inner", 1, "x"))]:
        with pytest.raises(ValidationError) as e:
            Outer.model_validate(body)
        assert e.value.errors()[0]["loc"] == loc and REASON in e.value.errors()[0]["msg"], body
    assert Outer.model_validate({"either": "1_0"}).either == "1_0"  # text where text is allowed stays text
    assert Outer.model_validate({"a": "0.25", "pair": ["1", 2]}).pair == (1, 2.0)
    with pytest.raises(ValidationError, match="greater than or equal to 0"):  # the field's own checks still hold
        Outer.model_validate({"inner": [{"x": "-1"}]})


def test_the_review_forms_version_with_an_underscore_is_refused_and_nothing_saved(tmp_path: Path) -> None:
    """/decide read the form's version with int(): '0_0' was version 0 and the decision saved."""
    import json

    from fastapi.testclient import TestClient

    from linernotes.review.build import build_store
    from linernotes.review.web.app import Settings, create_app
    from tests.review.conftest import vader_row

    (tmp_path / "g.jsonl").write_text(json.dumps(vader_row("a", [-4, 4, -4, 4])) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "g.jsonl")
    with TestClient(create_app(Settings(store=tmp_path / "s.sqlite")), base_url="http://127.0.0.1") as c:
        c.get("/")
        form = {"csrf_token": c.cookies.get("liner_review_csrf"), "version": "0_0", "action": "accept_gold",
                "annotator": "ann"}
        r = c.post("/decide/a", data=form, follow_redirects=False)
        assert r.status_code == 422 and "&#39;0_0&#39; is not a whole number" in r.text, r.text[-2000:]
        assert c.get("/api/items/a").json()["history"] == []
        r = c.post("/decide/a", data={**form, "version": "0"}, follow_redirects=False)
        assert r.status_code == 303 and len(c.get("/api/items/a").json()["history"]) == 1
