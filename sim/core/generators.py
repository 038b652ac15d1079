"""Random graph generators that write CSR arrays directly.

Each takes plain arguments, like the networkx generator of the same name, and returns a
symmetric 0/1 ``scipy.sparse.csr_array`` with sorted column indices, no self-loops and no
multi-edges. ``barabasi_albert`` and ``powerlaw_cluster`` are sequential and run compiled
(``sim.core.graph_kernels``): at a million nodes they take seconds instead of minutes and a
tenth of the memory. Large graphs use the compiled CSR builder and search as well; small ones
use numpy and scipy, which give the same arrays without numba's start-up cost.

Shared arguments: ``n`` is the number of nodes; ``seed`` is an int, a numpy ``Generator`` or
None (as ``numpy.random.default_rng``). Each generator's own arguments are named in its first line.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    return np.random.default_rng(seed)


COMPILED_FROM = 1_000_000  # pairs or draws from which the compiled loops beat numpy and scipy


def _index_dtype(arcs: int) -> type:
    return np.int32 if arcs < 2**31 else np.int64


# --- CSR from endpoint pairs ------------------------------------------------------------------


def csr_from_pairs(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric 0/1 adjacency of ``n`` nodes from the ties ``u[k] - v[k]`` (endpoints in 0..n-1).

    Self-loops and repeated ties are dropped; the result is (n, n), float64 ones, sorted column
    indices.

    >>> csr_from_pairs(np.array([0, 1, 1]), np.array([1, 0, 2]), 3).toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    u, v = np.asarray(u), np.asarray(v)
    dtype = _index_dtype(2 * u.size)
    if u.size >= COMPILED_FROM:
        from sim.core import graph_kernels

        indptr, indices = graph_kernels.csr_arrays(u, v, n, np.dtype(dtype))
        return sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
    keep = u != v
    rows, cols = np.concatenate([u[keep], v[keep]]), np.concatenate([v[keep], u[keep]])
    adj = sp.csr_array((np.ones(rows.size), (rows.astype(dtype), cols.astype(dtype))), shape=(n, n))
    adj.sum_duplicates()  # sorts each row and merges repeats
    adj.data[:] = 1.0
    return adj


# --- uniform generators (array code; the CSR builder is the only compiled part) ----------------


def erdos_renyi(n: int, m: int, seed: Seed = None) -> sp.csr_array:
    """Random graph of ``m`` ties drawn uniformly with replacement, loops and repeats dropped.

    Close to G(n, m) when m is much less than n^2 (at n = 10^6, m = 5 x 10^6 about 5 ties are lost).

    >>> erdos_renyi(1000, 5000, seed=1).nnz // 2  # 27 draws repeated a tie or were loops
    4973
    """
    rng = _rng(seed)
    return csr_from_pairs(rng.integers(0, n, m), rng.integers(0, n, m), n)


def watts_strogatz(n: int, k: int, p: float, seed: Seed = None) -> sp.csr_array:
    """Ring lattice of ``k`` ties per node (``k // 2`` neighbours each side, k >= 2); each tie's far
    end rewired with chance ``p``.

    A rewired end goes to a uniform node (a tie landing on itself or on an existing tie is
    dropped), so unlike networkx's version the degree sum may fall slightly.

    >>> watts_strogatz(10, 4, 0.0).sum(axis=1).tolist()
    [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    """
    rng = _rng(seed)
    half = max(1, k // 2)
    u = np.repeat(np.arange(n), half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(u.size) < p
    v = np.where(rewire, rng.integers(0, n, u.size), v)
    return csr_from_pairs(u, v, n)


# --- preferential attachment (sequential, compiled) --------------------------------------------


def barabasi_albert(n: int, m: int, seed: Seed = None) -> sp.csr_array:
    """Barabasi-Albert preferential attachment, as ``networkx.barabasi_albert_graph``.

    Starts from a star of m + 1 nodes; each later node links to ``m`` (1 <= m < n) distinct
    earlier nodes drawn with probability proportional to their degree. The graph has exactly
    m (n - m) ties.

    >>> g = barabasi_albert(1000, 3, seed=7)
    >>> g.nnz // 2, int(g.sum(axis=1).min())
    (2991, 3)
    """
    if not 1 <= m < n:
        raise ValueError(f"barabasi_albert needs 1 <= m < n, got m = {m}, n = {n}")
    from sim.core import graph_kernels

    u, v = graph_kernels.barabasi_albert_pairs(n, m, _rng(seed))
    return csr_from_pairs(u, v, n)


def powerlaw_cluster(n: int, m: int, p: float, seed: Seed = None) -> sp.csr_array:
    """Holme-Kim growth with triangles, as ``networkx.powerlaw_cluster_graph``.

    Each new node makes ``m`` ties (1 <= m < n): the first by preferential attachment; each
    further one, with chance ``p`` (in [0, 1]), closes a triangle with a neighbour of the last
    attached node (when one is free), otherwise again by preferential attachment. Scale-free
    degrees with tunable clustering (Holme & Kim 2002).

    >>> g = powerlaw_cluster(1000, 3, 0.5, seed=7)
    >>> int(g.sum(axis=1).min()) >= 1, g.nnz // 2 <= 3 * 997
    (True, True)
    """
    if not 1 <= m < n:
        raise ValueError(f"powerlaw_cluster needs 1 <= m < n, got m = {m}, n = {n}")
    if not 0 <= p <= 1:
        raise ValueError(f"powerlaw_cluster needs 0 <= p <= 1, got p = {p}")
    from sim.core import graph_kernels

    u, v = graph_kernels.powerlaw_cluster_pairs(n, m, float(p), _rng(seed))
    return csr_from_pairs(u, v, n)


# --- scale-free communities ---------------------------------------------------------------------


def _weighted(cum: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cum, keys, side="right")``, compiled with a bucket table for many keys."""
    if keys.size < COMPILED_FROM:
        return np.searchsorted(cum, keys, side="right")
    from sim.core import graph_kernels

    return graph_kernels.search_sorted(cum, keys, max(1, cum.size))


def niche_graph(
    n: int, mean_degree: float, niches: int, homophily: float, exponent: float, seed: Seed = None
) -> tuple[sp.csr_array, np.ndarray]:
    """Scale-free graph with communities: Chung-Lu weights, a share ``homophily`` of ties in-niche.

    Each node gets one of ``niches`` communities uniformly and a Pareto weight with tail
    ``exponent`` (> 2; capped at the structural cut-off sqrt(n k)). Each of n k / 2 ties
    (k = ``mean_degree``) picks one end by weight; the other end is, with chance ``homophily``,
    drawn by weight inside that end's niche, else by weight from everyone. Loops and repeats are
    dropped. Returns the adjacency and each node's niche in 0..niches-1 (int64).

    >>> adj, niche = niche_graph(2000, 10, 4, 0.8, 2.5, seed=3)
    >>> adj.shape, sorted(set(niche.tolist()))
    ((2000, 2000), [0, 1, 2, 3])
    """
    rng = _rng(seed)
    niche = rng.integers(0, niches, n)
    weights = rng.pareto(exponent - 1, n) + 1.0
    weights = np.minimum(weights, np.sqrt(n * mean_degree) / weights.mean())
    m = int(round(n * mean_degree / 2))
    cum = np.cumsum(weights)
    u = _weighted(cum, rng.random(m) * cum[-1])
    # In-niche partner: sample by weight inside the niche of u, through niche-sorted cumsums.
    order = np.argsort(niche, kind="stable")
    sorted_cum = np.cumsum(weights[order])
    bounds = np.searchsorted(niche[order], np.arange(niches + 1))
    start = np.where(bounds[:-1] > 0, sorted_cum[np.maximum(bounds[:-1] - 1, 0)], 0.0)
    start[bounds[:-1] == 0] = 0.0
    total = sorted_cum[np.maximum(bounds[1:] - 1, 0)] - start
    nu = niche[u]
    local = order[np.minimum(_weighted(sorted_cum, start[nu] + rng.random(m) * total[nu]), n - 1)]
    glob = _weighted(cum, rng.random(m) * cum[-1])
    v = np.where(rng.random(m) < homophily, local, glob)
    return csr_from_pairs(u, np.minimum(v, n - 1), n), niche.astype(np.int64)
