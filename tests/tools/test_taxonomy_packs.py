"""The shipped taxonomy packs: shape, hierarchy, the ids gold labels map to, derived aliases."""

from __future__ import annotations

import importlib.util
import json

import pytest
import yaml

from linernotes.tools.retrieval.taxonomy import load_taxonomy, slugify


@pytest.fixture(scope="module")
def build_packs(repo_root):
    spec = importlib.util.spec_from_file_location("build_packs", repo_root / "scripts" / "build_packs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("label,expected", [
    ("Drum & Bass", "drum-and-bass"),
    ("progressive house/trance", "progressive-house-trance"),
    ("  Hip Hop ", "hip-hop"),
    ("jùjú", "juju"),
    ("r&b", "r-and-b"),
])
def test_slugify(label, expected):
    assert slugify(label) == expected


@pytest.mark.parametrize("name", ["music-genres", "podcast-categories", "moods"])
def test_shipped_packs_load_with_attribution_and_version(name):
    tax = load_taxonomy(name)
    assert tax.entries and tax.version and tax.attribution
    assert all(e.id and e.label for e in tax.entries)


def test_genre_pack_has_hierarchy_and_the_added_labels():
    tax = load_taxonomy("music-genres")
    assert len(tax.entries) > 1500
    assert tax.ancestors("goa-trance") == ["psytrance", "trance", "electronic"]
    for gid, parent in [("dance", None), ("edm", "electronica"), ("ebm", "industrial"),
                        ("psychedelic-trance", "trance"), ("experimental", "avant-garde")]:
        assert gid in tax
        assert tax.by_id[gid].parent == parent
        assert tax.by_id[gid].description


def test_genre_pack_ids_are_slugs_of_their_labels():
    tax = load_taxonomy("music-genres")
    assert all(e.id == slugify(e.label) for e in tax.entries)


def test_every_bandcamp_gold_label_maps_to_a_pack_id(shared_data):
    tax = load_taxonomy("music-genres")
    labels = set()
    with open(shared_data / "gold" / "bandcamp-tracks.dev.jsonl", encoding="utf-8") as f:
        for line in f:
            labels.update(json.loads(line)["gold_genres"])
    assert sorted(g for g in labels if slugify(g) not in tax) == []


def test_derived_aliases_and_descriptions_are_in_the_pack():
    tax = load_taxonomy("music-genres")
    dnb = tax.by_id["drum-and-bass"]
    assert {"drum & bass", "drum n bass", "dnb"} <= set(dnb.aliases)
    assert "a style of electronic" in dnb.description
    assert "hip-hop" in tax.by_id["hip-hop"].aliases
    assert "includes" in tax.by_id["trance"].description


def test_spelling_variants_rules(build_packs):
    variants = build_packs.spelling_variants("rhythm and blues", music=True)
    assert {"rhythm & blues", "rhythm n blues", "rnb", "r&b"} <= set(variants)
    assert "rhythm and blues" not in variants
    assert build_packs.spelling_variants("lo-fi") == ["lo fi", "lofi"]
    assert build_packs.spelling_variants("Fashion & Beauty") == ["fashion and beauty"]  # no "fnb" outside music
    assert build_packs.spelling_variants("techno") == []


def test_podcast_pack_nests_subcategories():
    tax = load_taxonomy("podcast-categories")
    sub = [e for e in tax.entries if e.parent]
    assert sub and all(e.id.startswith(e.parent + "/") for e in sub)
    assert "fashion and beauty" in tax.by_id["arts/fashion-and-beauty"].aliases


def test_user_taxonomy_file_loads_and_bad_parents_are_refused(tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text(yaml.safe_dump({"id": "mine", "version": "0.1", "entries": [
        {"id": "a", "label": "A"}, {"id": "b", "label": "B", "parent": "a", "aliases": ["bee"]}]}))
    tax = load_taxonomy(str(good))
    assert tax.ancestors("b") == ["a"] and tax.digest
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"id": "bad", "version": "0.1", "entries": [{"id": "b", "label": "B", "parent": "x"}]}))
    with pytest.raises(ValueError, match=r"taxonomy bad: unknown parent: 'b' names parent 'x', which is no entry's id$"):
        load_taxonomy(str(bad))  # it said "unknown parent for ['b']", not which parent
    numbered = tmp_path / "numbered.yaml"  # YAML reads `version: 1` as a number: a new user's pack was refused
    numbered.write_text("id: n\nversion: 1\nentries:\n- id: a\n  label: A\n")
    assert load_taxonomy(str(numbered)).version == "1"


@pytest.mark.parametrize(("entries", "loop"), [
    ([{"id": "a", "label": "A", "parent": "b"}, {"id": "b", "label": "B", "parent": "a"}], "a -> b -> a"),
    ([{"id": "a", "label": "A", "parent": "a"}], "a -> a"),
    ([{"id": "r", "label": "R"}, {"id": "c", "label": "C", "parent": "d"}, {"id": "d", "label": "D", "parent": "e"},
      {"id": "e", "label": "E", "parent": "d"}], "d -> e -> d"),
])
def test_user_taxonomy_with_a_parent_cycle_is_refused_naming_the_file_and_the_loop(tmp_path, entries, loop):
    # a cycle loaded before and `liner tag --taxonomy` then spun at 100% CPU forever (QA, session 12)
    path = tmp_path / "cyc.yaml"
    path.write_text(yaml.safe_dump({"id": "cyc", "version": "1", "entries": entries}))
    with pytest.raises(ValueError, match=f"^{path}: taxonomy cyc: parent cycle {loop}$"):
        load_taxonomy(str(path))


def test_user_taxonomy_errors_name_the_file_not_an_option(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nentries: [1, 2\n")
    with pytest.raises(ValueError, match=rf"^{broken}:3: not valid YAML \(") as e:
        load_taxonomy(str(broken))
    assert not isinstance(e.value, yaml.YAMLError)
    unversioned = tmp_path / "unversioned.yaml"
    unversioned.write_text("id: x\nentries: []\n")
    with pytest.raises(ValueError, match=rf"^{unversioned}: version: Field required$"):
        load_taxonomy(str(unversioned))
