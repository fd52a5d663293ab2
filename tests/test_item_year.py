"""An item's year: catalog spellings of a year are read, 0 is unknown, a year no catalog means is refused."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from linernotes.schema import Item
from linernotes.store.catalog import read_catalog


@pytest.mark.parametrize(("given", "year"), [(2021, 2021), ("2020.0", 2020), (1999.0, 1999), ("", None),
                                             (None, None), (0, None), ("0", None), ("0.0", None)])
def test_years_as_catalogs_write_them(given, year):
    assert Item(id="a", year=given).year == year


@pytest.mark.parametrize("given", [1e30, "1e30", 99999, -2020, "999", 3000])
def test_a_year_outside_any_catalog_is_refused(given):
    # 1e30 was accepted (QA, session 13) and reached the genres combiner's year feature
    with pytest.raises(ValidationError, match=r"year -?\d+ is outside 1000-2999 \(0 or blank for unknown\)"):
        Item(id="a", year=given)


def test_the_catalog_row_with_such_a_year_becomes_an_error_naming_its_line(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in [{"id": "a", "title": "ok", "year": 2001},
                                                        {"id": "b", "title": "far", "year": 1e30}]))
    rows = list(read_catalog(p))
    assert rows[0].item is not None and rows[0].item.year == 2001
    assert rows[1].item is None and rows[1].line == 2
    assert "outside 1000-2999" in json.dumps(rows[1].error.model_dump() if hasattr(rows[1].error, "model_dump")
                                             else str(rows[1].error))
