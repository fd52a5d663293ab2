"""core/schema ``_finite_json`` (the evidence a record holds): non-finite floats of any float type
become None, tuples become lists, containers are copied; the same result as the plain recursive
rules it replaced (an ``isinstance`` walk) on mixed and subclassed values."""

import math

import numpy as np

from linernotes.schema import _finite_json


def _reference(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _reference(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_reference(x) for x in v]
    return v


class _Dict(dict):
    pass


class _Float(float):
    pass


VALUES = [
    {"genres": [{"id": "techno", "score": 0.61, "votes": 0, "inherited": False, "why": None}], "x": -0.0},
    {"a": [math.inf, math.nan, -math.inf, 1.5, (1, 2.0, math.nan), {"n": np.float64("inf"), "m": np.float64(2.0),
                                                                    "f": np.float32(1.0), "b": True}]},
    {"sub": _Dict(q=math.nan, r=[_Float("inf"), _Float(0.25)]), "t": ((math.inf,),), "s": "nan", "i": 10**30},
    math.nan, (1.0, [math.inf]), np.float64("nan"), _Dict(a=math.inf), 3, "x", None, [],
]


def test_same_values_and_types_as_the_reference_walk():
    for v in VALUES:
        got, want = _finite_json(v), _reference(v)
        assert repr(got) == repr(want)
        assert type(got) is type(want)


def test_non_finite_become_none_and_containers_are_copied():
    v = {"a": [1.0, math.inf, (math.nan, 2)], "b": {"c": -math.inf}}
    got = _finite_json(v)
    assert got == {"a": [1.0, None, [None, 2]], "b": {"c": None}}
    assert got is not v and got["a"] is not v["a"] and got["b"] is not v["b"]
    assert v["b"]["c"] == -math.inf  # the input is left as it was
