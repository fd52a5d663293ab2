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
    load_spec(_spec(tmp_path, data, scale="'1_0'"))  # quoted it is text (the spec's own check names it if wrong)
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
