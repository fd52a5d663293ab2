"""Policy packs: versioned YAML of policies, clauses and a lexicon of terms with severities."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import Field, PrivateAttr

from linernotes.files import MAX_CONFIG_BYTES, read_regular_text
from linernotes.numbers import TextNumbers
from linernotes.tools.disk_cache import file_stamp
from linernotes.tools.yaml_text import load_pack_yaml


class Clause(TextNumbers):  # a pack is a YAML file a person writes: a quoted '1_0' is no severity
    id: str
    severity: int = Field(ge=0, le=4)
    text: str
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="retrieval cues only, never flagged on their own")


class Policy(TextNumbers):
    id: str
    title: str
    clauses: list[Clause]


class LexiconTerm(TextNumbers):
    term: str
    clause: str
    severity: int = Field(ge=0, le=4)
    categories: list[str] = Field(default_factory=list)
    source: str = ""
    context_only: bool = Field(False, description="an ordinary word too: reported only beside another hit")
    prefer: int = Field(0, ge=0, description="1 = likeliest reading of an ambiguous masked spelling; 0 = none")


class PolicyPack(TextNumbers):
    id: str
    version: str
    attribution: str = ""
    policies: list[Policy]
    lexicon: list[LexiconTerm] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list, description="innocent phrases holding a lexicon term: Moby Dick")
    digest: str = ""
    # clause_index's dict and the policies list it was built from
    _clauses: tuple[list[Policy], dict[str, tuple[Policy, Clause]]] | None = PrivateAttr(None)

    def clause_index(self) -> dict[str, tuple[Policy, Clause]]:
        """Clause id -> (its policy, the clause), in the pack's order. Built once per pack and
        shared, so read it, do not change it: evidence, verify and the policy flags each ask for
        it, 4 times an item, and a build cost ~3.3 us (14 clauses). Built again when ``policies``
        is another list (``model_copy(update=...)``, an assignment); a pack's clauses are not
        edited in place once it is loaded. Read from ``__pydantic_private__``: ``self._clauses``
        goes through pydantic's ``__getattr__``, ~3 us a read (``fusion.estimators._private``)."""
        held = self.__pydantic_private__["_clauses"]  # type: ignore[index]
        if held is None or held[0] is not self.policies:
            held = self._clauses = (self.policies, {c.id: (p, c) for p in self.policies for c in p.clauses})
        return held[1]

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def load_policy_pack(name_or_path: str = "content-policy") -> PolicyPack:
    """A shipped pack by name or a YAML path; parsed once per process per file version (a pack
    edited in place is read again, as its digest must be: ``disk_cache.file_stamp``)."""
    p = Path(name_or_path)
    return _policy_pack(name_or_path, file_stamp(p) if p.suffix in (".yaml", ".yml") else None)


@lru_cache(maxsize=8)
def _policy_pack(name_or_path: str, stamp: tuple[int, int, int] | None) -> PolicyPack:
    p = Path(name_or_path)
    if stamp is not None:  # a FIFO blocked for good, /dev/zero ran out of memory
        text = read_regular_text(p, ValueError, ": a policy pack is a YAML file", limit=MAX_CONFIG_BYTES,
                                 what="a policy pack")
    else:
        res = resources.files("linernotes.packs").joinpath("policy", f"{name_or_path}.yaml")
        if not res.is_file():
            raise FileNotFoundError(f"no shipped policy pack named {name_or_path!r}")
        text = res.read_text(encoding="utf-8")
    pack = PolicyPack.model_validate(load_pack_yaml(text, name_or_path))
    known = pack.clause_index()
    bad = sorted({t.clause for t in pack.lexicon if t.clause not in known})
    if bad:
        raise ValueError(f"policy pack {pack.id}: lexicon names unknown clauses {bad[:5]}")
    pack.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return pack
