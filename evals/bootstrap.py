"""Clustered bootstrap, vectorised over per-item sufficient statistics.

Every metric is a ``SumStat``: a per-item matrix ``x`` (n items × k columns: tp/fp/fn, moments,
histogram counts ...) and a function ``f`` of column totals. Resampling then only needs
weighted column sums: items are first summed per cluster (album, label, source), a resample
draws clusters with replacement (``counts``: b × G), and ``counts @ S`` gives every metric's
totals for b resamples in one sparse/dense product. Paired comparisons stack two runs'
statistics side by side so both see the SAME resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

Totals = Callable[[np.ndarray], np.ndarray]

# Fewest clusters for a clustered interval and fewest items for an item-resampled one; the
# reasoning and source are in ``plan_resampling``.
MIN_CLUSTERS = 5
MIN_ITEMS = 5
# Cells (float64) of one chunk's draw counts or totals: 4 million, 32 MB each, whatever --resamples
CHUNK_CELLS = 4_000_000
# Most resamples an interval is drawn from (liner eval, fit, gate). Memory is no longer the bound
# (chunks above; each metric keeps its b draws, ~0.4 GB at 100,000 for a gate of two runs): time
# is (16 s on 40 items), and 1,000-10,000 already give stable 95% percentile bounds.
MAX_RESAMPLES = 100_000


@dataclass(frozen=True)
class SumStat:
    """A metric = ``f(column totals of x)``; ``exact`` overrides the point value when the
    bootstrap works on a binned approximation (latency quantiles)."""

    x: np.ndarray | sparse.spmatrix
    f: Totals
    exact: float | None = None

    def at(self, weights: np.ndarray) -> np.ndarray:
        """The metric for item weights of shape (b, n) (or (n,)); used by tests and diagnostics."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        t = np.asarray((self.x.T @ w.T).T) if sparse.issparse(self.x) else w @ self.x
        return self.f(t)

    def point(self) -> float:
        if self.exact is not None:
            return float(self.exact)
        return float(self.at(np.ones(self.x.shape[0]))[0])


@dataclass(frozen=True)
class Estimate:
    """A point value and percentile interval; ``method`` is how it was resampled (see
    ``plan_resampling``), ``clusters`` how many clusters contribute, ``note`` why not clusters."""

    value: float
    ci_low: float | None
    ci_high: float | None
    samples: np.ndarray | None = None
    method: str = "clusters"
    clusters: int = 0
    note: str = ""


def group_codes(groups: list[str | None], ids: list[str]) -> np.ndarray:
    """Integer cluster codes; an item without a group is its own cluster."""
    keys = [g if g is not None else f"\x00item:{i}" for g, i in zip(groups, ids, strict=True)]
    _, codes = np.unique(np.array(keys, dtype=str), return_inverse=True)
    return codes.astype(np.int64)


def cluster_counts(n_groups: int, resamples: int, seed: int, chunk: int) -> Iterator[np.ndarray]:
    """Yield (b, G) draw counts: how often each cluster appears in each resample, ``chunk``
    resamples at a time (``resample_totals`` sizes it). The same draws for any ``chunk``."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        draws = rng.integers(0, n_groups, size=(b, n_groups))
        flat = (draws + np.arange(b)[:, None] * n_groups).ravel()
        yield np.bincount(flat, minlength=b * n_groups).reshape(b, n_groups).astype(np.float64)
        done += b


def _interval(samples: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class Resampling:
    """How one metric's interval is resampled: ``clusters`` (the default), ``items`` (fewer than
    ``MIN_CLUSTERS`` clusters contribute to the metric) or ``withheld`` (fewer than ``MIN_ITEMS``
    items too: no interval is reported). ``rows``: the items that contribute to the metric."""

    method: Literal["clusters", "items", "withheld"]
    rows: np.ndarray
    codes: np.ndarray
    clusters: int
    reason: str = ""


def contributing_rows(x: np.ndarray | sparse.spmatrix) -> np.ndarray:
    """Items whose statistic row is not all zero: the others add nothing to the metric's totals
    in any resample (not in its task, or an item without a value), so they are not observations
    of it and their clusters must not count towards the cluster minimum."""
    if sparse.issparse(x):
        return np.unique(sparse.csr_matrix(x).nonzero()[0])
    return np.flatnonzero(np.any(np.asarray(x) != 0, axis=1))


def plan_resampling(codes: np.ndarray, rows: np.ndarray) -> Resampling:
    """Decide the resampling unit for the items ``rows`` (cluster codes ``codes`` of all items).

    A percentile interval from G resampled clusters is degenerate for small G: the resamples that
    draw one cluster G times have total probability G**(1-G) (50% at G=2, 11% at 3, 1.6% at 4,
    0.16% at 5), so up to G=4 single-cluster values sit inside the 2.5% tails that set the 95%
    bounds, and at G=1 every resample is the point value (a zero-width interval that says
    nothing). Cameron, Gelbach & Miller (2008, Rev. Econ. Stat. 90(3)) report that the pairs
    cluster bootstrap badly under-covers with 5-10 clusters; 5 is the least at which the
    interval is not made of single-cluster resamples, so it is our floor (``MIN_CLUSTERS``).
    Below it we resample items (same floor, same reason) and say so, because item resampling
    ignores within-cluster correlation and is too narrow when the clusters differ; below
    ``MIN_ITEMS`` items the interval is withheld."""
    sub = codes[rows]
    _, local = np.unique(sub, return_inverse=True)
    g = int(local.max()) + 1 if len(local) else 0
    if g >= MIN_CLUSTERS:
        return Resampling("clusters", rows, local.astype(np.int64), g)
    if len(rows) >= MIN_ITEMS:
        return Resampling("items", rows, np.arange(len(rows), dtype=np.int64), g,
                          f"{g} cluster(s), fewer than {MIN_CLUSTERS}: items resampled, which ignores within-cluster "
                          "correlation")
    return Resampling("withheld", rows, np.arange(len(rows), dtype=np.int64), g,
                      f"{g} cluster(s) and {len(rows)} item(s), fewer than {MIN_ITEMS}: interval withheld")


def _restrict(st: SumStat, rows: np.ndarray) -> SumStat:
    x = sparse.csr_matrix(st.x)[rows] if sparse.issparse(st.x) else np.asarray(st.x)[rows]
    return SumStat(x, st.f, st.exact)


def _by_domain(rows_of: dict[str, np.ndarray]) -> dict[bytes, list[str]]:
    """Metrics over the same items share one set of draws (cheap, and comparable)."""
    out: dict[bytes, list[str]] = {}
    for k, rows in rows_of.items():
        out.setdefault(rows.astype(np.int64).tobytes(), []).append(k)
    return out


def resample_totals(stats: dict[str, SumStat], codes: np.ndarray, resamples: int, seed: int
                    ) -> Iterator[dict[str, np.ndarray]]:
    """Per chunk of resamples, each metric's values (b,) computed from shared cluster draws."""
    n = len(codes)
    if n == 0 or resamples <= 0 or not stats:
        return
    names = list(stats)
    blocks = [sparse.csr_matrix(stats[k].x, dtype=np.float64) for k in names]
    offsets = np.cumsum([0, *(b.shape[1] for b in blocks)])
    x = sparse.hstack(blocks, format="csr")
    n_groups = int(codes.max()) + 1
    member = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    s = (member @ x).tocsr()
    dense = n_groups * s.shape[1] <= 20_000_000
    s_dense = s.toarray() if dense else None
    s_t = s.T.tocsr()
    # A chunk's draw counts are (b, G) and its totals (b, columns): bound both, not only the
    # counts; with few clusters and many columns (per-label statistics) one chunk of 20,000
    # resamples took 2.1 GB. The draws do not depend on the chunk size (one generator stream).
    chunk = max(1, min(resamples, CHUNK_CELLS // max(1, n_groups, s.shape[1])))
    for counts in cluster_counts(n_groups, resamples, seed, chunk):
        t = counts @ s_dense if dense else np.asarray((s_t @ counts.T).T)
        yield {k: np.asarray(stats[k].f(t[:, offsets[j]:offsets[j + 1]]), dtype=np.float64)
               for j, k in enumerate(names)}


def _draw(stats: dict[str, SumStat], plan: Resampling, resamples: int, seed: int) -> dict[str, np.ndarray]:
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in stats}
    if plan.method != "withheld":
        sub = {k: _restrict(st, plan.rows) for k, st in stats.items()}
        for values in resample_totals(sub, plan.codes, resamples, seed):
            for k, v in values.items():
                chunks[k].append(v)
    return {k: np.concatenate(v) if v else np.array([]) for k, v in chunks.items()}


def bootstrap(stats: dict[str, SumStat], codes: np.ndarray, resamples: int = 1000, seed: int = 0,
              confidence: float = 0.95, keep_samples: bool = False) -> dict[str, Estimate]:
    """Point estimates and percentile intervals for many metrics from one set of resamples per
    set of contributing items; the resampling unit per metric follows ``plan_resampling``."""
    out = {}
    rows_of = {k: contributing_rows(st.x) for k, st in stats.items()}
    for keys in _by_domain(rows_of).values():
        plan = plan_resampling(codes, rows_of[keys[0]])
        samples = _draw({k: stats[k] for k in keys}, plan, resamples, seed)
        for k in keys:
            lo, hi = _interval(samples[k], confidence) if samples[k].size else (None, None)
            out[k] = Estimate(stats[k].point(), lo, hi, samples[k] if keep_samples else None,
                              plan.method, plan.clusters, plan.reason)
    return out


def _same(a: SumStat, b: SumStat) -> bool:
    xa = a.x.toarray() if sparse.issparse(a.x) else np.asarray(a.x)
    xb = b.x.toarray() if sparse.issparse(b.x) else np.asarray(b.x)
    return xa.shape == xb.shape and bool(np.array_equal(xa, xb))


def paired_bootstrap(base: dict[str, SumStat], cand: dict[str, SumStat], codes: np.ndarray,
                     resamples: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict[str, Estimate]:
    """Distribution of ``cand - base`` per metric under shared resamples (items aligned), over
    the items that contribute to either run's metric. With too few of them to resample
    (``withheld``) ``samples`` is None, unless both runs hold identical statistics on every
    item: then the difference is exactly 0 under any resampling (method ``identical``)."""
    names = [k for k in base if k in cand]
    out = {}
    rows_of = {k: np.union1d(contributing_rows(base[k].x), contributing_rows(cand[k].x)) for k in names}
    for keys in _by_domain(rows_of).values():
        plan = plan_resampling(codes, rows_of[keys[0]])
        both = {**{f"b\x00{k}": base[k] for k in keys}, **{f"c\x00{k}": cand[k] for k in keys}}
        drawn = _draw(both, plan, resamples, seed)
        for k in keys:
            value = cand[k].point() - base[k].point()
            if plan.method == "withheld":
                if _same(base[k], cand[k]) and base[k].exact == cand[k].exact:
                    out[k] = Estimate(0.0, 0.0, 0.0, np.zeros(1), "identical", plan.clusters,
                                      "both runs hold the same statistics on every item")
                else:
                    out[k] = Estimate(value, None, None, None, "withheld", plan.clusters, plan.reason)
                continue
            samples = drawn[f"c\x00{k}"] - drawn[f"b\x00{k}"]
            lo, hi = _interval(samples, confidence) if samples.size else (None, None)
            out[k] = Estimate(value, lo, hi, samples, plan.method, plan.clusters, plan.reason)
    return out
