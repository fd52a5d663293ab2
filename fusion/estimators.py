"""JSON-safe fitted estimators: what a fusion artifact stores instead of a pickle.

Each class is fitted with scikit-learn and keeps only the numbers prediction needs (coefficients,
a TF-IDF vocabulary and idf weights, isotonic breakpoints), so loading an artifact never runs
code from the file. ``predict`` reproduces scikit-learn's own prediction (tests check it).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator


def _private(model: BaseModel, name: str) -> Any:
    """``model``'s private attribute ``name`` (None until first set), as ``model.<name>`` reads it.

    Why not ``model.<name>``: pydantic resolves a private attribute in ``BaseModel.__getattr__``,
    which probes the attribute's declaration with ``hasattr`` (an AttributeError raised and caught
    each time): ~3.2 us a read against ~0.08 from the instance's ``__pydantic_private__`` dict
    (pydantic 2.14). The estimators below read the arrays they converted once on every call, 12.5
    reads an item at tag time (``--llm always``: Tfidf 8, Standardizer and Linear 2.25 each)."""
    return model.__pydantic_private__[name]  # type: ignore[index]


class Fitted(BaseModel):
    """Base of the fitted estimators' models, whose numbers ``liner fit`` writes (~700,000 in the
    shipped artifact): each number must be a JSON number (``strict``: a quoted ``"1_0"``, which
    pydantic's lax float reads as 10, or ``"0.5"`` is refused, and the check runs in pydantic-core,
    without the per-number Python call ``numbers.TextNumbers`` makes), and a key the model does not
    have is refused (``extra="forbid"``: a misspelt key in a hand-edited fusion.json was dropped
    without a word). Reading text as numbers is for what a person writes; a file's arrays are not."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Standardizer(Fitted):
    """Per-column centring and scaling (sklearn ``StandardScaler`` semantics, zero scale -> 1)."""

    mean: list[float]
    scale: list[float]
    _arrays: tuple[np.ndarray, np.ndarray] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _positive(self) -> Standardizer:
        # StandardScaler writes 1 for a constant column, never 0 or less: a hand-edited 0 divided
        # every item's column by zero, and each item failed at tag time ('confidence <= 1 [nan]')
        if len(self.mean) != len(self.scale):
            raise ValueError(f"scaler: {len(self.mean)} means but {len(self.scale)} scales")
        bad = next((i for i, v in enumerate(self.scale) if not v > 0), None)
        if bad is not None:
            raise ValueError(f"scaler: scale[{bad}] is {self.scale[bad]} (a fitted scale is > 0)")
        return self

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        from sklearn.preprocessing import StandardScaler

        s = StandardScaler().fit(X)
        return cls(mean=s.mean_.tolist(), scale=s.scale_.tolist())

    def weighted(self, weight: float) -> Standardizer:
        """The same centring with every column then multiplied by ``weight`` (> 0): the scale
        divided by it. How a fit weighs a block of standardized columns against the others (an
        L2-penalised model's columns compete for one penalty) without a new artifact field: the
        weight lives in the stored scale, so tag time applies it unchanged."""
        if not weight > 0:
            raise ValueError(f"scaler weight {weight} (must be > 0)")
        return Standardizer(mean=list(self.mean), scale=[v / weight for v in self.scale])

    def transform(self, X: np.ndarray) -> np.ndarray:
        arrays = _private(self, "_arrays")
        if arrays is None:  # converted once: a tag-time call is per item
            arrays = self._arrays = (np.asarray(self.mean), np.asarray(self.scale))
        mean, scale = arrays
        return (np.asarray(X, dtype=np.float64) - mean) / scale


class Linear(Fitted):
    """A linear model: ``X @ coef.T + intercept``. ``classes`` set for a classifier (binary: one
    row of coefficients, the probability of ``classes[1]``; multinomial: one row per class)."""

    coef: list[list[float]]
    intercept: list[float]
    classes: list[str] | None = None
    _arrays: tuple[np.ndarray, np.ndarray] | None = PrivateAttr(None)

    @classmethod
    def from_sklearn(cls, model: Any) -> Linear:
        coef = np.atleast_2d(model.coef_)
        intercept = np.atleast_1d(model.intercept_)
        classes = [str(c) for c in model.classes_] if hasattr(model, "classes_") else None
        return cls(coef=coef.tolist(), intercept=intercept.astype(float).tolist(), classes=classes)

    def decision(self, X: Any) -> np.ndarray:
        arrays = _private(self, "_arrays")
        if arrays is None:
            arrays = self._arrays = (np.asarray(self.coef).T.copy(), np.asarray(self.intercept))
        W_t, b = arrays
        product = _csr_times_dense(X, W_t)
        return (np.asarray(X @ W_t) if product is None else product) + b

    def predict(self, X: Any) -> np.ndarray:
        """Regression output, shape (n,)."""
        return self.decision(X)[:, 0]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, len(classes)): logistic for two classes, softmax above."""
        z = self.decision(X)
        if z.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1 - p, p])
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def _csr_times_dense(X: Any, W: np.ndarray) -> np.ndarray | None:
    """``X @ W`` for a float64 ``scipy.sparse.csr_matrix`` X of shape (m, n) and a C-ordered
    float64 W of shape (n, k), by the routine scipy's own ``X @ W`` reaches
    (``_sparsetools.csr_matvec`` for one column, ``csr_matvecs`` for more: the same sums in
    the same order), without its dispatch (~10 us of a ~15 us call, two calls an item). None for
    anything else (the caller takes ``X @ W``)."""
    from scipy import sparse

    if (type(X) is not sparse.csr_matrix or X.ndim != 2 or X.dtype != np.float64 or W.dtype != np.float64
            or W.ndim != 2 or W.shape[0] != X.shape[1] or not W.flags.c_contiguous or W.shape[1] == 0):
        return None
    from scipy.sparse import _sparsetools

    m, n = X.shape
    if W.shape[1] == 1:  # what scipy does for an (n, 1) operand: one vector, reshaped
        out = np.zeros(m, dtype=np.float64)
        _sparsetools.csr_matvec(m, n, X.indptr, X.indices, X.data, W.ravel(), out)
        return out.reshape(m, 1)
    out = np.zeros((m, W.shape[1]), dtype=np.float64)
    _sparsetools.csr_matvecs(m, n, W.shape[1], X.indptr, X.indices, X.data, W.ravel(), out.ravel())
    return out


def _tree_depth(t: int, left: list[int], right: list[int]) -> int:
    """Steps from the root (node 0) of tree ``t`` to its deepest leaf (a node whose children are
    itself); ValueError when a walk from the root can go round for ever."""
    if not left:
        return 0
    level, steps = {0}, 0
    while True:
        level = {c for n in level if not left[n] == right[n] == n for c in (left[n], right[n])}
        if not level:
            return steps
        steps += 1
        if steps >= len(left):  # a path of n nodes has n - 1 steps: any more went round a loop
            raise ValueError(f"tree {t}: its children form a loop (no leaf ends every walk from the root)")


class Trees(Fitted):
    """A binary gradient-boosted tree ensemble (scikit-learn ``HistGradientBoostingClassifier``)
    as plain arrays: per tree and node, the feature tested, its threshold (``x <= threshold`` goes
    left; NaN goes where ``missing_left`` says), the children and the node's value. A leaf points
    to itself (its test is never read), so every tree is walked ``depth`` steps at once with numpy
    gathers.
    ``predict_proba(X)`` (X shape (n, features)) returns shape (n, 2), the second column the
    probability of class 1: the logistic of ``baseline`` plus the reached leaves' values, as
    scikit-learn computes it (tests compare them)."""

    kind: Literal["trees"] = "trees"
    baseline: float
    feature: list[list[int]]
    threshold: list[list[float]]
    missing_left: list[list[bool]]
    left: list[list[int]]
    right: list[list[int]]
    value: list[list[float]]
    depth: int = Field(ge=0)
    classes: list[str] = Field(default_factory=lambda: ["0", "1"])
    _arrays: tuple[np.ndarray, ...] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _shapes(self) -> Trees:
        n = len(self.feature)
        parts = (self.threshold, self.missing_left, self.left, self.right, self.value)
        if any(len(p) != n for p in parts) or any(
                len(p[t]) != len(self.feature[t]) for p in parts for t in range(n)):
            raise ValueError("tree arrays differ in length")
        deepest = 0
        for t, (lft, rgt) in enumerate(zip(self.left, self.right, strict=True)):
            size = len(lft)
            if any(not 0 <= c < size for c in (*lft, *rgt)):
                raise ValueError(f"tree {t}: a child index outside its {size} nodes")
            deepest = max(deepest, _tree_depth(t, lft, rgt))
        # the walk takes exactly ``depth`` steps per item: a larger number (a hand edit: 10**9)
        # spun every item's genres for hours, beyond SIGTERM's reach; a smaller one stops on a
        # test node, whose value is 0, and gives a wrong probability without a word
        if self.depth != deepest:
            raise ValueError(f"depth {self.depth}: the trees' deepest leaf is {deepest} steps from its root")
        return self

    @classmethod
    def from_sklearn(cls, model: Any) -> Trees:
        """From a fitted binary ``HistGradientBoostingClassifier`` on numeric features only."""
        if model.n_trees_per_iteration_ != 1:
            raise ValueError("Trees holds a binary classifier (one tree per iteration)")
        feature, threshold, missing, left, right, value, depth = [], [], [], [], [], [], 0
        for (pred,) in model._predictors:
            nodes = pred.nodes
            if nodes["is_categorical"].any():
                raise ValueError("categorical splits are not supported")
            own = np.arange(len(nodes))
            leaf = nodes["is_leaf"].astype(bool)
            feature.append(np.where(leaf, 0, nodes["feature_idx"]).astype(int).tolist())
            # +inf (every number left, only NaN right) as the largest float: JSON has no infinity
            cut = np.nan_to_num(nodes["num_threshold"].astype(float), posinf=np.finfo(float).max,
                                neginf=-np.finfo(float).max)
            threshold.append(np.where(leaf, 0.0, cut).tolist())
            missing.append(nodes["missing_go_to_left"].astype(bool).tolist())
            left.append(np.where(leaf, own, nodes["left"]).astype(int).tolist())
            right.append(np.where(leaf, own, nodes["right"]).astype(int).tolist())
            value.append(np.where(leaf, nodes["value"], 0.0).astype(float).tolist())
            depth = max(depth, int(nodes["depth"].max()))
        return cls(baseline=float(np.ravel(model._baseline_prediction)[0]), feature=feature, threshold=threshold,
                   missing_left=missing, left=left, right=right, value=value, depth=depth,
                   classes=[str(c) for c in model.classes_])

    def _packed(self) -> tuple[np.ndarray, ...]:
        arrays = _private(self, "_arrays")
        if arrays is None:  # all trees' nodes in one flat array, once: a tag-time call is per item
            sizes = [len(f) for f in self.feature]
            offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

            def flat(rows: list[list[Any]], dtype: Any, shift: bool = False) -> np.ndarray:
                parts = [np.asarray(r, dtype=dtype) + o if shift else np.asarray(r, dtype=dtype)
                         for r, o in zip(rows, offset, strict=True)]
                return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

            # int32 node ids: half the bytes for the per-call where and gathers (~12% of a call)
            arrays = self._arrays = (offset.astype(np.int32), flat(self.feature, np.intp),
                                     flat(self.threshold, np.float64), flat(self.missing_left, bool),
                                     flat(self.left, np.int32, True), flat(self.right, np.int32, True),
                                     flat(self.value, np.float64))
        return arrays

    def decision(self, X: Any) -> np.ndarray:
        """Raw scores (log-odds), shape (n,)."""
        X = np.asarray(X, dtype=np.float64)
        roots, feature, threshold, missing, left, right, value = self._packed()
        n, size = X.shape[0], len(feature)
        # every node's test at once (a test depends on the row, not on the path to the node), then
        # each step down all trees is one gather of "the node after this one" (~0.1 ms for 150
        # trees and 10 candidates; walking with a gather per array cost ~0.35 ms)
        x = X[:, feature]
        go_left = x <= threshold
        nan = np.isnan(x)
        if nan.any():  # NaN <= t is False: a missing value goes left where the tree sent missing values
            go_left |= nan & missing
        ids = np.int32 if n * size < 2**31 else np.int64
        shift = (np.arange(n, dtype=ids) * size)[:, None]
        after = np.where(go_left, left, right).astype(ids, copy=False)
        after += shift
        after = after.ravel()
        node = (roots[None, :].astype(ids) + shift).ravel()
        for _ in range(self.depth):
            node = after[node]
        return self.baseline + value[node.reshape(n, len(roots)) - shift].sum(axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision(X)))
        return np.column_stack([1 - p, p])


class Tfidf(Fitted):
    """A fitted ``TfidfVectorizer``: its parameters, vocabulary and idf weights."""

    params: dict[str, Any]
    vocabulary: dict[str, int]
    idf: list[float]
    _vectorizer: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _columns(self) -> Tfidf:
        # each of the idf's columns is one n-gram's: a vocabulary index outside them, or two
        # n-grams on one column, loaded fine and then failed every item at tag time
        # ("Vocabulary of size 768 doesn't contain index 767": internal.ValueError records)
        n = len(self.idf)
        if len(self.vocabulary) != n or set(self.vocabulary.values()) != set(range(n)):
            raise ValueError(f"TF-IDF vocabulary: {len(self.vocabulary)} n-grams for {n} idf columns; each column "
                             f"0..{n - 1} must be exactly one n-gram's")
        _check_params(self.params)
        return self

    @classmethod
    def fit(cls, texts: list[str], **params: Any) -> tuple[Tfidf, Any]:
        """Fit on ``texts``. ``params``: ``TfidfVectorizer``'s (defaults: word 1-2 grams, min_df 2,
        sublinear tf, 30,000 terms), plus ``negation=True``: words in a negation scope become
        their own terms (``tools.text.negation.mark_negation`` as the preprocessor; stored as the
        flag, so the artifact stays plain JSON)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        params = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "max_features": 30000, **params}
        vec = TfidfVectorizer(**_vectorizer_params(params))
        matrix = vec.fit_transform(texts)
        keep = {k: v for k, v in params.items() if k != "max_features"}
        keep["ngram_range"] = list(keep["ngram_range"])
        return cls(params=keep, vocabulary={k: int(v) for k, v in vec.vocabulary_.items()},
                   idf=vec.idf_.tolist()), matrix

    def vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        params = {**self.params, "ngram_range": tuple(self.params["ngram_range"])}
        vec = TfidfVectorizer(vocabulary=self.vocabulary, **_vectorizer_params(params))
        vec.idf_ = np.asarray(self.idf)
        return vec

    def transform(self, texts: list[str]) -> Any:
        """The texts' TF-IDF rows, a CSR matrix of shape (len(texts), len(vocabulary)), as
        ``TfidfVectorizer.transform`` gives them (bit for bit)."""
        vec = _private(self, "_vectorizer")
        if vec is None:  # rebuilding it per item would cost milliseconds
            vec = self._vectorizer = self.vectorizer()
        if len(texts) == 1:  # tag time: one item's prose
            row = _tfidf_one(vec, texts[0])
            if row is not None:
                return row
        return _tfidf_rows(vec, texts)


def text_rows(text: str, word: Tfidf, char: Tfidf | None = None) -> list:
    """A text's TF-IDF rows in design-row column order: word terms, then character n-grams when
    the model was fitted with them (``features.design_row`` joins them with the rest). The text is
    read through ``tools.text.plain`` as the evidence tools read it: a soft hyphen or fullwidth letters
    inside a word hid it from the vocabularies (ASCII text is passed as it is)."""
    from linernotes.tools.text.plain import plain

    text = plain(text)
    return [word.transform([text])] if char is None else [word.transform([text]), char.transform([text])]


def _vectorizer_params(params: dict[str, Any]) -> dict[str, Any]:
    """``TfidfVectorizer``'s keyword arguments for stored ``params``: ``negation`` (a flag) becomes
    the negation-marking preprocessor, which lowercases itself."""
    params = dict(params)
    if params.pop("negation", False):
        from linernotes.tools.text.negation import mark_negation

        if params.get("analyzer", "word") != "word" or "preprocessor" in params:
            raise ValueError("TF-IDF params.negation: marking needs the word analyzer and no other preprocessor")
        params["preprocessor"] = mark_negation
    return params


def _check_params(params: dict[str, Any]) -> None:
    """Raise ValueError naming the key when stored ``params`` would not make the vectorizer that
    ``Tfidf.fit`` made. Why at load: a hand-edited artifact's ``"negation": "false"`` (a true
    string) marked negation silently, ``"negation": 1`` loaded, and an unknown key, a bad analyzer
    or ``negation`` on the character n-grams loaded and then failed every item at tag time
    (``internal.ValueError``/``TypeError`` records); scikit-learn checks its own parameters only
    when it fits, not when it transforms with a given vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if "negation" in params and not isinstance(params["negation"], bool):
        raise ValueError(f"TF-IDF params.negation: {params['negation']!r} is not true or false")
    if params.get("input", "content") != "content":  # the prose is the text, never a file name to open
        raise ValueError(f"TF-IDF params.input: {params['input']!r}; only 'content' is read")
    if "ngram_range" not in params:
        raise ValueError("TF-IDF params.ngram_range: missing")
    known = set(TfidfVectorizer().get_params()) - {"vocabulary"}
    unknown = sorted(set(params) - known - {"negation"})
    if unknown:
        raise ValueError(f"TF-IDF params.{unknown[0]}: not a TfidfVectorizer parameter")
    ngrams = params["ngram_range"]
    if not (isinstance(ngrams, list | tuple) and len(ngrams) == 2):
        raise ValueError(f"TF-IDF params.ngram_range: {ngrams!r} is not [low, high]")
    kwargs = _vectorizer_params({**params, "ngram_range": tuple(ngrams)})  # names params.negation itself
    try:
        vec = TfidfVectorizer(**kwargs)
        vec._validate_params()  # scikit-learn's own constraints (types, choices), as fit checks them
        vec._validate_ngram_range()
        vec.build_analyzer()
    except (TypeError, ValueError) as e:
        raise ValueError(f"TF-IDF params: {e}") from None


def _tfidf_one(vec: Any, text: str) -> Any:
    """One text's row, by the arithmetic ``_tfidf_rows`` does (counts in column order, log + 1,
    times idf, the l2 norm summed in column order as scikit-learn's ``inplace_csr_row_normalize_l2``
    sums it), without building and sorting a counting matrix: ~0.25 ms of a ~0.3 ms call, three
    calls per item at tag time (the policy combiner's words and characters, valence's words).
    Each n-gram is looked up in the vocabulary and the known columns are counted (a column is one
    n-gram: the same counts as counting the n-grams first). None where ``_tfidf_rows`` would not
    take its own path either."""
    tfidf = getattr(vec, "_tfidf", None)
    if (tfidf is None or tfidf.norm != "l2" or not hasattr(tfidf, "idf_") or not hasattr(vec, "vocabulary_")
            or vec.binary or np.dtype(vec.dtype) != np.float64 or not _spmatrix_interface()):
        return None
    counted = getattr(vec, "_liner_counts", None)
    if counted is None:  # built once per vectorizer: get_params and build_analyzer cost ~0.1 ms
        counted = vec._liner_counts = _counts_of(vec)
    columns, data = counted(text)
    size = len(vec.vocabulary_)
    index_dtype = np.int32 if size <= _INT32_MAX else np.int64
    indices = columns.astype(index_dtype)
    if tfidf.sublinear_tf:
        np.log(data, data)
        data += 1.0
    data *= tfidf.idf_[indices]
    # the squares summed in column order, one at a time, as the Cython loop sums them: an
    # accumulate is sequential (each partial sum rounded in turn, no pairwise blocks), and a
    # square is one rounded product either way
    total = float(np.add.accumulate(data * data)[-1]) if len(data) else 0.0
    if total != 0.0:
        data /= math.sqrt(total)
    return _csr_row(data, indices, np.array([0, len(indices)], dtype=index_dtype), size)


def _counts_of(vec: Any) -> Any:
    """A function from a text to its known n-grams' vocabulary columns in column order (np.int64,
    each once) and their counts (np.float64), by ``vec``'s own analyzer; n-grams outside the
    vocabulary are left out (a column is one n-gram, so counting columns counts n-grams).
    Character n-grams inside words (``char_wb``) are looked up per word and kept per word: a
    text's n-grams are its words' n-grams one after the other (scikit-learn normalises the
    whitespace, splits, then pads and slices each word), and a word's columns are the same in
    every text, so a word seen before costs one dict lookup instead of ~10 slices and their
    lookups (~0.2 -> ~0.1 ms a policy item). Other analyzers: the text's n-grams counted, kept
    for the next vocabulary with the same analyzer (an item's prose goes through the policy and
    the valence word vocabularies)."""
    from functools import partial

    from sklearn.feature_extraction.text import _VectorizerMixin

    vocabulary = vec.vocabulary_
    analyze = vec.build_analyzer()
    step = getattr(analyze, "keywords", {}).get("ngrams")
    if (vec.analyzer == "char_wb" and isinstance(analyze, partial) and getattr(step, "__self__", None) is vec
            and getattr(step, "__func__", None) is _VectorizerMixin._char_wb_ngrams):
        known: dict[str, tuple[int, ...]] = {}
        spaces = vec._white_spaces

        def word_columns(word: str) -> tuple[int, ...]:
            cols = known.get(word)
            if cols is None:
                if len(known) >= _WORD_CACHE_MAX:
                    known.clear()
                cols = known[word] = tuple(c for c in map(vocabulary.get, step(word)) if c is not None)
            return cols

        def char_wb(doc: str) -> list[int]:
            # the n-gram step's own whitespace normalisation and split, then each word's n-grams
            # by the n-gram step itself (a word has no whitespace left: the step pads and slices
            # it as it does inside the whole text)
            return list(itertools.chain.from_iterable(map(word_columns, spaces.sub(" ", doc).split())))

        # scikit-learn's decode and preprocess, then the words' columns
        columns_of = partial(analyze.func, *analyze.args, **{**analyze.keywords, "ngrams": char_wb})

        def by_words(text: str) -> tuple[np.ndarray, np.ndarray]:
            cols, counts = np.unique(np.array(columns_of(text), dtype=np.int64), return_counts=True)
            return cols, counts.astype(np.float64)

        return by_words
    key = _analyzer_key(vec)

    def by_grams(text: str) -> tuple[np.ndarray, np.ndarray]:
        grams = _ngram_counts(key, analyze, text)
        # each n-gram's column (-1: not in the vocabulary), looked up in C by map, not a Python loop
        columns = np.fromiter(map(vocabulary.get, grams, itertools.repeat(-1)), dtype=np.int64, count=len(grams))
        counts = np.fromiter(grams.values(), dtype=np.float64, count=len(grams))
        known = columns >= 0
        columns = columns[known]
        order = np.argsort(columns)  # column order (columns are distinct)
        return columns[order], counts[known][order]

    return by_grams


_WORD_CACHE_MAX = 50_000  # words per char_wb vocabulary (~10 columns each): a few MB at most


def _csr_row(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, size: int) -> Any:
    """``scipy.sparse.csr_matrix((data, indices, indptr), shape=(1, size))`` for arrays already of
    the types its constructor keeps (float64 data, int32 indices in column order, fresh
    arrays nobody else holds): the constructor's checks are ~27 us of a ~30 us call, three rows an
    item. The matrix gets the attributes the constructor sets, and only when ``_fast_csr()``
    found the constructor setting exactly those on this scipy; otherwise the constructor."""
    from scipy import sparse

    fast = _fast_csr() if indices.dtype == np.int32 and indptr.dtype == np.int32 else None
    if fast is None:
        return sparse.csr_matrix((data, indices, indptr), shape=(1, size))
    row = sparse.csr_matrix.__new__(sparse.csr_matrix)
    row.__dict__.update(_shape=(1, size), maxprint=fast["maxprint"], indices=indices, indptr=indptr, data=data)
    return row


@functools.lru_cache(maxsize=1)
def _fast_csr() -> dict[str, Any] | None:
    """The attributes, besides the arrays and the shape, that the constructor sets on rows like ours
    (one row, int32 indices, a few entries or none): ``{"maxprint": ...}`` when it sets exactly
    ``_shape``, ``maxprint``, ``indices``, ``indptr`` and ``data``, to our values and dtypes, and
    the same ``maxprint`` each time; None otherwise (use the constructor)."""
    from scipy import sparse

    try:
        maxprints = []
        for cols in ([3, 7, 11], [], [15]):
            indices = np.array(cols, dtype=np.int32)
            data = np.arange(1.0, len(cols) + 1.0)
            indptr = np.array([0, len(cols)], dtype=np.int32)
            got = vars(sparse.csr_matrix((data, indices, indptr), shape=(1, 16)))
            if set(got) != {"_shape", "maxprint", "indices", "indptr", "data"} or got["_shape"] != (1, 16):
                return None
            for name, want in (("indices", indices), ("indptr", indptr), ("data", data)):
                if got[name].dtype != want.dtype or not np.array_equal(got[name], want):
                    return None
            maxprints.append(got["maxprint"])
        return {"maxprint": maxprints[0]} if len(set(map(repr, maxprints))) == 1 else None
    except Exception:  # noqa: BLE001 (any surprise: the constructor's own path)
        return None


_INT32_MAX = int(np.iinfo(np.int32).max)


def _spmatrix_interface() -> bool:
    from sklearn import get_config

    return get_config().get("sparse_interface", "spmatrix") == "spmatrix"


def _analyzer_key(vec: Any) -> tuple[Any, ...]:
    """What a ``TfidfVectorizer``'s analyzer depends on: equal keys, equal n-grams for a text."""
    params = vec.get_params()
    return tuple((k, repr(params[k])) for k in ("analyzer", "ngram_range", "lowercase", "preprocessor",
                                                 "tokenizer", "token_pattern", "stop_words", "strip_accents",
                                                 "encoding", "decode_error", "input"))


_NGRAMS: dict[tuple[Any, ...], tuple[str, Counter[str]]] = {}


def _ngram_counts(key: tuple[Any, ...], analyze: Any, text: str) -> Counter[str]:
    """Each n-gram of ``text`` and its count by ``analyze`` (the analyzer ``key`` names); the last
    text per analyzer is kept (an item's prose goes through two vocabularies with the same word
    analyzer)."""
    hit = _NGRAMS.get(key)
    if hit is not None and hit[0] == text:
        return hit[1]
    counts = Counter(analyze(text))
    if len(_NGRAMS) > 16:
        _NGRAMS.clear()
    _NGRAMS[key] = (text, counts)
    return counts


def _tfidf_rows(vec: Any, texts: list[str]) -> Any:
    """``vec.transform(texts)`` by the steps scikit-learn's ``TfidfVectorizer.transform`` takes
    (count, sublinear tf, idf, its own in-place l2 row normalisation), without its input
    validation: ~1 ms of a ~1.2 ms call on one short text, paid twice per item at tag time.
    Same arithmetic in the same order, so the same floats (``tests/fusion/test_estimators.py``
    compares them bit for bit); any other setting takes scikit-learn's own path."""
    tfidf = getattr(vec, "_tfidf", None)
    if tfidf is None or tfidf.norm != "l2" or not hasattr(tfidf, "idf_") or not hasattr(vec, "vocabulary_"):
        return vec.transform(texts)
    from sklearn.utils._sparse import _align_api_if_sparse
    from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

    _, X = vec._count_vocab(texts, fixed_vocab=True)
    if vec.binary:
        X.data.fill(1)
    if X.dtype != np.float64:  # validate_data's dtype=[float64, float32] would keep a float32
        return vec.transform(texts)
    if tfidf.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    X.data *= tfidf.idf_[X.indices]
    inplace_csr_row_normalize_l2(X)
    return _align_api_if_sparse(X)


class Isotonic(Fitted):
    """A monotone map fitted by ``IsotonicRegression`` (clipped at the ends), as breakpoints."""

    x: list[float] = Field(default_factory=list)
    y: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _breakpoints(self) -> Isotonic:
        # np.interp needs as many y as x, x non-decreasing; a calibrated probability is in [0, 1]
        if len(self.x) != len(self.y) or any(b < a for a, b in zip(self.x, self.x[1:], strict=False)) \
                or any(not 0.0 <= v <= 1.0 for v in self.y):
            raise ValueError("isotonic map: x and y of one length, x non-decreasing, y in [0, 1]")
        return self

    @classmethod
    def fit(cls, scores: np.ndarray, outcomes: np.ndarray, weights: np.ndarray | None = None) -> Isotonic:
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, outcomes,
                                                                                 sample_weight=weights)
        return cls(x=iso.X_thresholds_.tolist(), y=iso.y_thresholds_.tolist())

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if not self.x:
            return np.full(scores.shape, 0.5)
        return np.interp(scores, self.x, self.y)


def calibrator(scores: np.ndarray, outcomes: np.ndarray, folds: int = 5, seed: int = 0,
               weights: np.ndarray | None = None) -> tuple[Isotonic, str]:
    """Isotonic or Platt (a logistic in the score's log-odds), whichever has the lower Brier score
    over ``folds``-fold cross-validation on these pairs; the winner is refitted on all of them.
    ``weights`` (shape (n,), default all 1) weigh pairs in the fits and in the Brier score.
    Platt is stored as a dense monotone table in the same ``Isotonic`` form (101 points), so an
    artifact still holds breakpoints only. Returns (map, "isotonic" | "platt")."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    scores, outcomes = np.asarray(scores, dtype=np.float64), np.asarray(outcomes, dtype=np.float64)
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)

    def platt(s: np.ndarray, o: np.ndarray, sw: np.ndarray) -> Isotonic:
        if len(np.unique(o)) < 2:
            return Isotonic.fit(s, o, sw)
        z = _logit(s)[:, None]
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(z, o, sample_weight=sw)
        grid = np.linspace(0.0, 1.0, 101)
        return Isotonic(x=grid.tolist(), y=lr.predict_proba(_logit(grid)[:, None])[:, 1].tolist())

    if len(scores) < 2 * folds or len(np.unique(outcomes)) < 2:
        return Isotonic.fit(scores, outcomes, w), "isotonic"
    brier = {"isotonic": 0.0, "platt": 0.0}
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(scores):
        for name, fit in (("isotonic", Isotonic.fit), ("platt", platt)):
            err = fit(scores[tr], outcomes[tr], w[tr])(scores[te]) - outcomes[te]
            brier[name] += float(np.sum(w[te] * err ** 2))
    name = min(brier, key=brier.get)
    return (Isotonic.fit if name == "isotonic" else platt)(scores, outcomes, w), name


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


class ContextLogistic(Fitted):
    """A calibrator told the context of a score: a logistic regression (Platt-style) over
    standardized context columns, the first of which is the score's log-odds, optionally followed
    by an isotonic map of its output (a two-stage map). ``__call__(X)`` takes X of shape
    (n, len(features)) in raw units and returns P(right), shape (n,).

    Monotone in the first column at fixed other columns when its coefficient is >= 0
    (``monotone``): the logistic is then increasing in it and the isotonic map never decreases.
    Plain numbers only (safe to load), like ``Linear``."""

    kind: Literal["context_logistic"] = "context_logistic"
    features: list[str]
    scaler: Standardizer
    linear: Linear
    isotonic: Isotonic | None = None

    @model_validator(mode="after")
    def _sizes(self) -> ContextLogistic:
        n = len(self.features)
        if len(self.scaler.mean) != n or len(self.scaler.scale) != n or any(len(r) != n for r in self.linear.coef):
            raise ValueError(f"context calibrator: scaler/coefficient sizes do not match its {n} features")
        if len(self.linear.coef) != 1:
            raise ValueError("context calibrator: one row of coefficients (a binary logistic)")
        return self

    @property
    def monotone(self) -> bool:
        return self.linear.coef[0][0] >= 0.0

    @classmethod
    def fit(cls, features: list[str], X: np.ndarray, outcomes: np.ndarray, two_stage: bool = False,
            C: float = 1.0, seed: int = 0) -> ContextLogistic:
        """Fit on X (shape (n, len(features)), raw units) and 0/1 ``outcomes`` (shape (n,)).
        ``two_stage``: an isotonic map on the logistic's in-sample outputs on top. One outcome
        class only: a constant at its rate (clipped to [0.001, 0.999])."""
        from sklearn.linear_model import LogisticRegression

        X, y = np.asarray(X, dtype=np.float64), np.asarray(outcomes, dtype=np.float64)
        scaler = Standardizer.fit(X)
        if len(np.unique(y)) < 2:
            rate = float(np.clip(y.mean() if len(y) else 0.5, 1e-3, 1 - 1e-3))
            linear = Linear(coef=[[0.0] * X.shape[1]], intercept=[float(np.log(rate / (1 - rate)))], classes=["0", "1"])
            return cls(features=list(features), scaler=scaler, linear=linear)
        lr = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(scaler.transform(X), y)
        model = cls(features=list(features), scaler=scaler, linear=Linear.from_sklearn(lr))
        if two_stage:
            model.isotonic = Isotonic.fit(model._logistic(X), y)
        return model

    def _logistic(self, X: np.ndarray) -> np.ndarray:
        return self.linear.predict_proba(self.scaler.transform(X))[:, 1]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        p = self._logistic(np.atleast_2d(np.asarray(X, dtype=np.float64)))
        return self.isotonic(p) if self.isotonic is not None else p


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities clipped to [1e-4, 1 - 1e-4] (what ``calibrator``'s Platt map reads)."""
    return _logit(p)
