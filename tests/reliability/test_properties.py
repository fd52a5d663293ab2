"""Property-based tests: the catalog readers never raise on any row, the boundary schema
round-trips, the span verifier accepts exactly the true quotations, and resume repairs a file cut
at any byte."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from linernotes.agents.checks import find_span, span_is_valid
from linernotes.schema import (
    TEXT_FIELDS,
    Confidence,
    Enrichment,
    ErrorInfo,
    EvidenceSpan,
    Explicit,
    Item,
    OutputRecord,
    PolicyFlag,
    Provenance,
    Review,
)
from linernotes.store.catalog import KNOWN_FIELDS, CatalogError, read_catalog, wide_encoding
from linernotes.store.records import scan_output

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
keys = st.sampled_from(sorted(KNOWN_FIELDS)) | st.text(max_size=12)
records = st.dictionaries(keys, json_values, max_size=8) | json_values


def rows_of(path: Path) -> list:
    try:
        rows = list(read_catalog(path))
    except CatalogError as e:  # a file without a single row is refused whole (exit 2), as a gold set is
        assert ": no rows (" in str(e), e
        return []
    for row in rows:
        assert (row.item is None) != (row.error is None), "a row is an item or an error, never both"
        if row.error is not None:
            assert row.error.line == row.line and row.error.message and row.key == f"line:{row.line}"
    return rows


@SETTINGS
@given(st.lists(records, min_size=1, max_size=8))
def test_jsonl_reader_turns_any_json_into_rows(objs):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "c.jsonl"
        p.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
        rows = rows_of(p)
    assert len(rows) == len(objs)
    assert len({r.key for r in rows}) == len(rows), "keys are unique, so resume can skip each row"


@SETTINGS
@given(st.lists(st.binary(max_size=60).filter(lambda b: b"\n" not in b and b.strip()), min_size=1, max_size=8))
def test_jsonl_reader_survives_arbitrary_bytes(lines):
    data = b"\n".join(lines) + b"\n"
    assume(wide_encoding(data[:64]) is None)  # a UTF-16/32 file is read as its text (test_catalog_encodings)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "c.jsonl"
        p.write_bytes(data)
        rows = rows_of(p)
    bom = b"\xef\xbb\xbf"
    # a bare CR ends a line too, as LF and CRLF do (test_catalog_encodings: mixed line endings); a
    # byte-order mark at the start of any line is dropped (files joined with cat: test_joined_bom),
    # so a line of a mark alone is blank
    expected = [p for ln in lines for p in ln.splitlines() if p.removeprefix(bom).strip()]
    assert len(rows) == len(expected), "one row per non-blank line, whatever its bytes"


@SETTINGS
@given(st.lists(st.sampled_from(["id", "title", "year", "type", "lyrics", "x"]), min_size=1, max_size=5, unique=True),
       st.lists(st.lists(st.text(max_size=15), min_size=0, max_size=6), min_size=1, max_size=8))
def test_csv_reader_turns_any_rows_into_rows(header, body):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "c.csv"
        with open(p, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(body)
        rows = rows_of(p)
    nonblank = [b for b in body if any(v != "" for v in b)]
    assert len(rows) == len(nonblank), "one row per non-blank record (ragged ones become errors)"


texts = st.text(max_size=30)
# ids obey the one id rule (schema.id_character_reason): no control characters (Cc), line or
# paragraph separators (Zl, Zp) or lone surrogates (Cs); tests/test_id_control_characters.py
# covers the refusal itself
id_texts = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)
spans = st.builds(EvidenceSpan, field=st.sampled_from(TEXT_FIELDS), start=st.integers(0, 50),
                  end=st.integers(0, 50), text=texts)
unit = st.floats(0, 1)
enrichments = st.builds(
    Enrichment, genres=st.lists(texts, max_size=3), moods=st.lists(texts, max_size=3), valence=st.floats(-1, 1),
    language=texts, explicit=st.builds(Explicit, value=st.booleans(), evidence=st.lists(spans, max_size=2)),
    policy_flags=st.lists(st.builds(PolicyFlag, policy_id=texts, clause_id=texts, severity=st.integers(0, 4),
                                    spans=st.lists(spans, max_size=2)), max_size=2),
    confidence=st.builds(Confidence, genres=unit, moods=unit, valence=unit, language=unit, explicit=unit,
                         policy=unit),
    rationale=st.text(max_size=80), review=st.builds(Review, routed=st.booleans(), reasons=st.lists(texts, max_size=3)),
    provenance=st.builds(Provenance, model=texts, prompt_hash=texts),
    evidence=st.dictionaries(st.text(max_size=8), json_values, max_size=3))  # inf/NaN included: they become null
outputs = (st.builds(OutputRecord, id=id_texts, status=st.just("ok"), enrichment=enrichments)
           | st.builds(OutputRecord, id=id_texts, status=st.just("error"),
                       error=st.builds(ErrorInfo, kind=texts, message=st.text(max_size=100),
                                       line=st.none() | st.integers(1, 10**6))))


@SETTINGS
@given(outputs)
def test_output_record_round_trips_through_json(rec):
    line = rec.model_dump_json()
    assert "\n" not in line, "one record is one line"
    assert OutputRecord.model_validate_json(line) == rec



def test_non_finite_evidence_is_null_in_the_record_as_in_its_line():
    from linernotes.testing.stub_enricher import sample_enrichment

    e = sample_enrichment()
    e = type(e).model_validate({**e.model_dump(), "evidence": {"lufs": float("-inf"), "v": [float("nan"), 1.5]}})
    assert e.evidence == {"lufs": None, "v": [None, 1.5]}
    rec = OutputRecord(id="a", status="ok", enrichment=e)
    assert OutputRecord.model_validate_json(rec.model_dump_json()) == rec


items = st.builds(Item, id=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                                     max_size=8).filter(str.strip),
                  title=st.none() | st.text(max_size=40), description=st.none() | st.text(max_size=40),
                  lyrics=st.none() | st.text(max_size=60))


@SETTINGS
@given(items, st.data())
def test_find_span_returns_exact_quotations(item, data):
    fields = item.text_fields()
    if not fields:
        assert find_span(item, "anything") is None
        return
    name = data.draw(st.sampled_from(sorted(fields)))
    text = fields[name]
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    quote = text[a:b]
    span = find_span(item, quote)
    if not quote:
        assert span is None
        return
    assert span is not None and span_is_valid(item, span)
    assert fields[span.field][span.start:span.end] == quote == span.text


def quotations(text: str) -> set[tuple[int, int, str]]:
    """Every (start, end, text) that quotes ``text`` exactly, by enumeration (the oracle: it shares
    nothing with the verifier's bounds-and-slice check)."""
    return {(a, b, text[a:b]) for a in range(len(text) + 1) for b in range(a, len(text) + 1)}


def quotes_item(item: Item, span: EvidenceSpan) -> bool:
    text = item.text_fields().get(span.field)
    return text is not None and (span.start, span.end, span.text) in quotations(text)


@SETTINGS
@given(items, spans, st.data())
def test_span_is_valid_exactly_when_the_span_quotes_the_item(item, span, data):
    fields = item.text_fields()
    if fields and data.draw(st.booleans()):  # half the time a span near a true quotation
        name = data.draw(st.sampled_from(sorted(fields)))
        text = fields[name]
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, len(text)))
        d = data.draw(st.sampled_from([0, 0, 1, -1])) if a > 0 else data.draw(st.sampled_from([0, 1]))
        span = EvidenceSpan(field=name, start=a + d, end=b + data.draw(st.sampled_from([d, d, 0])),
                            text=data.draw(st.sampled_from([text[a:b], text[a:b].upper(), span.text])))
    assert span_is_valid(item, span) == quotes_item(item, span)


LA = Item(id="x", title="la la land", lyrics="café ¡olé!")


@pytest.mark.parametrize(("span", "valid"), [
    (EvidenceSpan(field="title", start=0, end=2, text="la"), True),
    (EvidenceSpan(field="title", start=3, end=5, text="la"), True),   # the second occurrence
    (EvidenceSpan(field="title", start=1, end=3, text="la"), False),  # right words, wrong place
    (EvidenceSpan(field="title", start=6, end=10, text="land"), True),
    (EvidenceSpan(field="title", start=6, end=11, text="land"), False),  # end past the text
    (EvidenceSpan(field="title", start=0, end=2, text="La"), False),  # not exact
    (EvidenceSpan(field="lyrics", start=0, end=4, text="café"), True),  # offsets count code points
    (EvidenceSpan(field="lyrics", start=0, end=5, text="café"), False),
    (EvidenceSpan(field="description", start=0, end=0, text=""), False),  # the item has no such field
])
def test_span_is_valid_on_hand_made_quotations(span: EvidenceSpan, valid: bool) -> None:
    assert span_is_valid(LA, span) is valid


@SETTINGS
@given(items, st.data())
def test_a_perturbed_true_span_is_rejected_unless_it_still_quotes_the_item(item, data):
    fields = {k: v for k, v in item.text_fields().items() if v}
    if not fields:
        return
    name = data.draw(st.sampled_from(sorted(fields)))
    text = fields[name]
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    span = EvidenceSpan(field=name, start=a, end=b, text=text[a:b])
    assert span_is_valid(item, span)
    shift = data.draw(st.sampled_from([(1, 1), (-1, -1), (0, 1), (1, 0), (0, -1), (-1, 0)]))
    s, e = a + shift[0], b + shift[1]
    if s < 0 or e < s:
        return
    moved = span.model_copy(update={"start": s, "end": e})
    assert span_is_valid(item, moved) == ((s, e, span.text) in quotations(text))
    assert not span_is_valid(item, span.model_copy(update={"text": span.text + "\u200b"}))


@SETTINGS
@given(st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=10),
                min_size=1, max_size=6, unique=True), st.data())
def test_resume_repairs_an_output_cut_at_any_byte(ids, data):
    lines = [OutputRecord(id=i, status="error", error=ErrorInfo(kind="k", message="m")).model_dump_json() + "\n"
             for i in ids]
    blob = "".join(lines).encode("utf-8")
    cut = data.draw(st.integers(0, len(blob)))
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "out.jsonl"
        p.write_bytes(blob[:cut])
        done = scan_output(p)
        kept = p.read_bytes()
    whole = [ln for ln in blob[:cut].split(b"\n")[:-1]]
    assert kept == b"".join(ln + b"\n" for ln in whole), "only complete lines survive"
    assert done == {json.loads(ln)["id"] for ln in whole}
