""""Same artist / label / album" among an item's neighbour exemplars compares the item's field
with the neighbour's SAME field (the record keeps artist, label and album apart from its text).

The old rule, "the item's value equals any line of the neighbour's text", called a self-titled
release's track (its title or artist line equal to the item's album) "same album" even with the
album held out of the index. Each case goes through the real path: gold-like rows -> exemplar
records -> an on-disk index -> the few-shot search -> the graph's evidence -> candidate rows.
An index or evidence entry written before the fields were kept still gets the old line match."""

from __future__ import annotations

import json

import pytest

from linernotes.agents.evidence import collect
from linernotes.fusion.features import CANDIDATE_FEATURES, candidate_rows
from linernotes.fusion.observation import observation
from linernotes.schema import Item
from linernotes.tools.policy.pack import load_policy_pack
from linernotes.tools.retrieval.exemplar_sources import records_from_rows
from linernotes.tools.retrieval.exemplars import RECORDS, build_exemplar_index, open_exemplar_index

COL = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
ITEM = Item(id="q", type="track", title="Glass Rooms", artist="Moritz Vale", album="Nightfall",
            label="Ostgut Tapes")
OTHER = {"artist": "Ana Lorn", "album": "Signal Path", "label": "Kern Audio"}


@pytest.fixture(scope="module")
def pack():
    return load_policy_pack("content-policy")


def _rows(index_rows: list[dict], tmp_path, pack, strip_fields: bool = False) -> tuple[list[str], dict]:
    """The item's candidate rows against an index of ``index_rows`` (bandcamp gold columns: track,
    labelname). ``strip_fields``: rewrite the index's records as an index built before the fields
    were kept (no ``fields`` key)."""
    folder = tmp_path / "ix"
    build_exemplar_index(records_from_rows(index_rows), folder)
    if strip_fields:
        path = folder / RECORDS
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "fields"}) + "\n" for r in lines),
                        encoding="utf-8")
    index = open_exemplar_index(folder)
    hits = index.search(" \n".join(ITEM.text_fields().values()), 3)
    assert len(hits) == len(index_rows)  # every neighbour is among the three few-shot exemplars
    ev = collect({"exemplars": hits}, "music-genres", pack)
    ids, X = candidate_rows(observation(ITEM, ev, None), {})
    return ids, {f: X[:, COL[f]].max() for f in ("artist_match", "label_match", "album_match",
                                                  "artist_share", "label_share", "album_share")}


def _row(i: int, genres: list[str], **fields: str) -> dict:
    """A bandcamp gold row (columns track, labelname), other act / album / label unless given."""
    f = {"track": f"Track {i}", **OTHER, **fields}
    return {"id": f"n{i}", "track": f["track"], "artist": f["artist"], "album": f["album"],
            "labelname": f["label"], "gold_genres": genres}


@pytest.mark.parametrize("field", ["album", "artist", "label"])
def test_a_title_equal_to_the_items_field_is_not_the_same_field(field, tmp_path, pack):
    # a self-titled / eponymous neighbour: its title line is the item's album (artist, label), its
    # own album (artist, label) is another one
    value = getattr(ITEM, field)
    rows = [_row(1, ["techno"], track=value), _row(2, ["house"]), _row(3, ["ambient"])]
    _, got = _rows(rows, tmp_path, pack)
    assert got[f"{field}_match"] == 0.0 and got[f"{field}_share"] == 0.0


def test_an_artist_line_equal_to_the_items_album_is_not_the_same_album(tmp_path, pack):
    # a self-titled album by another act: the neighbour's artist line is the item's album name
    rows = [_row(1, ["techno"], artist="Nightfall"), _row(2, ["house"])]
    _, got = _rows(rows, tmp_path, pack)
    assert got["album_match"] == 0.0


@pytest.mark.parametrize("field", ["album", "artist", "label"])
def test_a_neighbour_with_the_same_field_is_one(field, tmp_path, pack):
    value = getattr(ITEM, field)
    # spelled with other case and surrounding spaces: casefolded and stripped
    rows = [_row(1, ["techno"], **{field: f"  {value.upper()} "}), _row(2, ["house"]), _row(3, ["ambient"])]
    ids, got = _rows(rows, tmp_path, pack)
    assert got[f"{field}_match"] == 1.0 and got[f"{field}_share"] == 1.0  # techno: its one same-field neighbour
    others = {"album", "artist", "label"} - {field}
    assert all(got[f"{f}_match"] == 0.0 for f in others)


def test_an_index_built_before_the_fields_were_kept_keeps_the_line_match(tmp_path, pack):
    rows = [_row(1, ["techno"], album="Nightfall"), _row(2, ["house"], track="Moritz Vale")]
    _, got = _rows(rows, tmp_path, pack, strip_fields=True)
    assert got["album_match"] == 1.0
    # the old rule, kept for such indexes: a title line equal to the item's artist counts too
    assert got["artist_match"] == 1.0


def test_a_record_whose_evidence_has_no_fields_keeps_the_line_match():
    # a run record's evidence written before exemplar entries carried fields
    ev = {"exemplars": [{"id": "e", "text": "Other \nSomeone \nNightfall \nKern Audio", "genres": ["techno"],
                         "score": 0.8}]}
    _, X = candidate_rows(observation(ITEM, ev, None), {})
    assert X[0, COL["album_match"]] == 1.0
    # the same entry with its fields: another album
    ev["exemplars"][0]["fields"] = {"artist": "Someone", "album": "Other LP", "label": "Kern Audio"}
    _, X = candidate_rows(observation(ITEM, ev, None), {})
    assert X[0, COL["album_match"]] == 0.0
    # a neighbour without an album value never matches one
    ev["exemplars"][0]["fields"] = {"artist": "Someone"}
    _, X = candidate_rows(observation(ITEM, ev, None), {})
    assert X[0, COL["album_match"]] == 0.0
