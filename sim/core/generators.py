"""Random graph generators that write CSR arrays directly (numba-compiled, cached on disk).

Each takes plain arguments, like the networkx generator of the same name, and returns a
symmetric 0/1 ``scipy.sparse.csr_array`` with sorted column indices, no self-loops and no
multi-edges. ``barabasi_albert`` and ``powerlaw_cluster`` run networkx's algorithms step for
step, so their graphs have the same law as networkx's (not the same draws); at a million
nodes they take about a second instead of minutes and a fraction of the memory.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.sparse as sp

Seed = int | np.random.Generator | None


def _rng(seed: Seed) -> np.random.Generator:
    return np.random.default_rng(seed)


def _index_dtype(arcs: int) -> type:
    return np.int32 if arcs < 2**31 else np.int64


# --- CSR from endpoint pairs ------------------------------------------------------------------


@nb.njit(cache=True)
def _csr_arrays(u, v, n, out_dtype):
    """Symmetric CSR of the pairs (u, v): rows sorted by column, loops and duplicates dropped.

    One scatter of both directions into their rows, then each row is sorted where it lies
    (insertion sort for short rows, which most are) and its repeats removed in place.
    """
    count = np.zeros(n + 1, np.int64)
    for k in range(u.size):
        if u[k] != v[k]:
            count[u[k] + 1] += 1
            count[v[k] + 1] += 1
    start = np.cumsum(count)
    indices = np.empty(start[n], out_dtype)
    pos = start[:-1].copy()
    for k in range(u.size):
        a, b = u[k], v[k]
        if a != b:
            indices[pos[a]] = b
            pos[a] += 1
            indices[pos[b]] = a
            pos[b] += 1
    indptr = np.zeros(n + 1, out_dtype)
    w = 0
    for r in range(n):
        lo, hi = start[r], start[r + 1]
        if hi - lo <= 32:
            for i in range(lo + 1, hi):
                x = indices[i]
                j = i - 1
                while j >= lo and indices[j] > x:
                    indices[j + 1] = indices[j]
                    j -= 1
                indices[j + 1] = x
        else:
            indices[lo:hi] = np.sort(indices[lo:hi])
        first = w
        for k in range(lo, hi):
            c = indices[k]
            if w == first or indices[w - 1] != c:
                indices[w] = c
                w += 1
        indptr[r + 1] = w
    return indptr, indices[:w].copy()


def csr_from_pairs(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric 0/1 adjacency of ``n`` nodes from the ties ``u[k] - v[k]``.

    Parameters
    ----------
    u, v : array of int
        Endpoints of each tie, in 0..n-1. Self-loops and repeated ties are dropped.
    n : int
        Number of nodes.

    Returns
    -------
    scipy.sparse.csr_array
        (n, n), float64 ones, sorted column indices.

    Example
    -------
    >>> csr_from_pairs(np.array([0, 1, 1]), np.array([1, 0, 2]), 3).toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    u, v = np.asarray(u), np.asarray(v)
    dtype = _index_dtype(2 * u.size)
    indptr, indices = _csr_arrays(u, v, n, np.dtype(dtype))
    return sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))


# --- uniform generators (array code; the CSR builder is the only compiled part) ----------------


def erdos_renyi(n: int, m: int, seed: Seed = None) -> sp.csr_array:
    """Random graph of ``m`` ties drawn uniformly with replacement, loops and repeats dropped.

    Close to G(n, m) when m is much less than n^2 (at n = 10^6, m = 5 x 10^6 about 5 ties are lost).

    Parameters
    ----------
    n : int
        Number of nodes.
    m : int
        Number of ties drawn.
    seed : int, numpy Generator or None

    Returns
    -------
    scipy.sparse.csr_array

    Example
    -------
    >>> erdos_renyi(1000, 5000, seed=1).nnz // 2
    4987
    """
    rng = _rng(seed)
    return csr_from_pairs(rng.integers(0, n, m), rng.integers(0, n, m), n)


def watts_strogatz(n: int, k: int, p: float, seed: Seed = None) -> sp.csr_array:
    """Ring lattice with ``k // 2`` neighbours each side; each tie's far end rewired with chance ``p``.

    A rewired end goes to a uniform node (a tie landing on itself or on an existing tie is
    dropped), so unlike networkx's version the degree sum may fall slightly.

    Parameters
    ----------
    n : int
        Number of nodes.
    k : int
        Ties per node before rewiring (at least 2).
    p : float
        Rewiring probability.
    seed : int, numpy Generator or None

    Returns
    -------
    scipy.sparse.csr_array

    Example
    -------
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


@nb.njit(cache=True)
def _pick_distinct(rng, pool, size, m, out):
    """m distinct values drawn uniformly from pool[:size] with repetition (networkx's _random_subset)."""
    got = 0
    while got < m:
        x = pool[rng.integers(0, size)]
        fresh = True
        for j in range(got):
            if out[j] == x:
                fresh = False
                break
        if fresh:
            out[got] = x
            got += 1


@nb.njit(cache=True)
def _barabasi_albert_pairs(n, m, rng):
    ties = m + (n - m - 1) * m
    u = np.empty(ties, np.int32)
    v = np.empty(ties, np.int32)
    pool = np.empty(2 * ties, np.int32)  # each node once per tie end: degree-proportional draws
    for i in range(m):  # the initial star: node 0 linked to 1..m
        u[i], v[i] = 0, i + 1
        pool[2 * i], pool[2 * i + 1] = 0, i + 1
    e, size = m, 2 * m
    targets = np.empty(m, np.int32)
    for source in range(m + 1, n):
        _pick_distinct(rng, pool, size, m, targets)
        for j in range(m):
            u[e], v[e] = source, targets[j]
            e += 1
            pool[size] = targets[j]
            pool[size + 1] = source
            size += 2
    return u, v


def barabasi_albert(n: int, m: int, seed: Seed = None) -> sp.csr_array:
    """Barabasi-Albert preferential attachment, as ``networkx.barabasi_albert_graph``.

    Starts from a star of m + 1 nodes; each later node links to m distinct earlier nodes drawn
    with probability proportional to their degree. The graph has exactly m (n - m) ties.

    Parameters
    ----------
    n : int
        Number of nodes.
    m : int
        Ties each new node makes, 1 <= m < n.
    seed : int, numpy Generator or None

    Returns
    -------
    scipy.sparse.csr_array

    Example
    -------
    >>> g = barabasi_albert(1000, 3, seed=7)
    >>> g.nnz // 2, int(g.sum(axis=1).min())
    (2991, 3)
    """
    if not 1 <= m < n:
        raise ValueError(f"barabasi_albert needs 1 <= m < n, got m = {m}, n = {n}")
    u, v = _barabasi_albert_pairs(n, m, _rng(seed))
    return csr_from_pairs(u, v, n)


@nb.njit(cache=True)
def _append(arena, lists, top, x, w):
    """Append w to node x's neighbour list; lists[x] = (offset, capacity, length) in the arena.

    A full list moves to a block twice its size at the arena's top; returns the new top.
    """
    off, cap, size = lists[x, 0], lists[x, 1], lists[x, 2]
    if size == cap:
        cap = max(4, 2 * cap)
        arena[top : top + size] = arena[off : off + size]
        off = top
        top += cap
        lists[x, 0], lists[x, 1] = off, cap
    arena[off + size] = w
    lists[x, 2] = size + 1
    return top


@nb.njit(cache=True)
def _is_free(w, source, linked, count):
    if w == source:
        return False
    for j in range(count):  # noqa: SIM110 (numba compiles loops, not generator expressions)
        if linked[j] == w:
            return False
    return True


@nb.njit(cache=True)
def _free_neighbour(rng, arena, lists, target, source, linked, count):
    """A neighbour of ``target`` not yet linked to ``source``, uniformly, or -1 if there is none.

    At most count + 1 neighbours are taken (``source`` and its links), so a target with more
    neighbours than twice that is sampled by rejection; a smaller one is enumerated.
    """
    off, deg = lists[target, 0], lists[target, 2]
    if deg > 2 * (count + 1):
        while True:
            w = arena[off + rng.integers(0, deg)]
            if _is_free(w, source, linked, count):
                return w
    valid = 0
    for k in range(deg):
        valid += _is_free(arena[off + k], source, linked, count)
    if valid == 0:
        return -1
    pick = rng.integers(0, valid)
    for k in range(deg):
        w = arena[off + k]
        if _is_free(w, source, linked, count):
            if pick == 0:
                return w
            pick -= 1
    return -1


@nb.njit(cache=True)
def _powerlaw_cluster_pairs(n, m, p, rng):
    ties = (n - m) * m
    u = np.empty(ties, np.int32)
    v = np.empty(ties, np.int32)
    # each node's neighbours so far, in doubling blocks of one arena (untouched pages cost nothing)
    arena = np.empty(4 * n + 8 * ties, np.int32)
    lists = np.zeros((n, 3), np.int64)
    top = 0
    pool = np.empty(m + 2 * ties, np.int32)  # networkx's repeated_nodes: draws by degree
    for i in range(m):
        pool[i] = i
    drawn, e = m, 0
    candidates = np.empty(m, np.int32)
    linked = np.empty(m, np.int32)  # the source's links so far
    for source in range(m, n):
        _pick_distinct(rng, pool, drawn, m, candidates)
        used = 0  # candidates are attached in the order drawn
        target = candidates[0]
        for count in range(m):
            nbr = -1
            if count > 0 and rng.random() < p:  # triangle: a neighbour of the last target
                nbr = _free_neighbour(rng, arena, lists, target, source, linked, count)
            if nbr < 0:  # preferential attachment
                if count > 0:
                    used += 1
                    target = candidates[used]
                nbr = target
            if _is_free(nbr, source, linked, count):  # networkx re-adds a tie: a no-op
                u[e], v[e] = source, nbr
                e += 1
                top = _append(arena, lists, top, source, nbr)
                top = _append(arena, lists, top, nbr, source)
            linked[count] = nbr
            pool[drawn] = nbr
            drawn += 1
        pool[drawn : drawn + m] = source
        drawn += m
    return u[:e], v[:e]


def powerlaw_cluster(n: int, m: int, p: float, seed: Seed = None) -> sp.csr_array:
    """Holme-Kim growth with triangles, as ``networkx.powerlaw_cluster_graph``.

    Each new node makes m ties: the first by preferential attachment; each further one, with
    chance ``p``, closes a triangle with a neighbour of the last attached node (when one is
    free), otherwise again by preferential attachment. Scale-free degrees with tunable
    clustering (Holme & Kim 2002).

    Parameters
    ----------
    n : int
        Number of nodes.
    m : int
        Ties each new node makes, 1 <= m < n.
    p : float
        Probability of a triangle step, in [0, 1].
    seed : int, numpy Generator or None

    Returns
    -------
    scipy.sparse.csr_array

    Example
    -------
    >>> g = powerlaw_cluster(1000, 3, 0.5, seed=7)
    >>> int(g.sum(axis=1).min()) >= 1, g.nnz // 2 <= 3 * 997
    (True, True)
    """
    if not 1 <= m < n:
        raise ValueError(f"powerlaw_cluster needs 1 <= m < n, got m = {m}, n = {n}")
    if not 0 <= p <= 1:
        raise ValueError(f"powerlaw_cluster needs 0 <= p <= 1, got p = {p}")
    u, v = _powerlaw_cluster_pairs(n, m, float(p), _rng(seed))
    return csr_from_pairs(u, v, n)


# --- scale-free communities ---------------------------------------------------------------------


@nb.njit(cache=True)
def _search_sorted(cum, keys, buckets):
    """``np.searchsorted(cum, keys, side="right")`` for a non-decreasing ``cum`` with cum[0] >= 0.

    Same results; a bucket table narrows each binary search to a few entries, so a million
    random keys cost a few cache misses each instead of twenty.
    """
    n = cum.size
    top = cum[n - 1]
    width = top / buckets
    # first[b] = searchsorted(cum, b * width, "right"): where bucket b's answers start
    first = np.searchsorted(cum, np.arange(buckets + 2) * width, side="right")
    out = np.empty(keys.size, np.int64)
    for i in range(keys.size):
        x = keys[i]
        b = min(max(int(x / width) if width > 0 else 0, 1), buckets) - 1
        lo, hi = first[b], first[min(b + 2, buckets + 1)]
        if not (b * width <= x < (b + 2) * width):  # rounding pushed x outside: search it all
            lo, hi = 0, n
        while lo < hi:  # first index in [lo, hi) with cum > x
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        out[i] = lo
    return out


def _weighted(cum: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return _search_sorted(cum, keys, max(1, cum.size))


def niche_graph(
    n: int, mean_degree: float, niches: int, homophily: float, exponent: float, seed: Seed = None
) -> tuple[sp.csr_array, np.ndarray]:
    """Scale-free graph with communities: Chung-Lu weights, a share ``homophily`` of ties in-niche.

    Each node gets a niche uniformly and a Pareto weight with tail ``exponent`` (capped at the
    structural cut-off sqrt(n k)). Each of n k / 2 ties picks one end by weight; the other end
    is, with chance ``homophily``, drawn by weight inside that end's niche, else by weight
    from everyone. Loops and repeats are dropped.

    Parameters
    ----------
    n : int
        Number of nodes.
    mean_degree : float
        Target mean degree k.
    niches : int
        Number of communities.
    homophily : float
        Share of ties drawn inside a niche, in [0, 1].
    exponent : float
        Power-law tail of the degree distribution, > 2.
    seed : int, numpy Generator or None

    Returns
    -------
    (scipy.sparse.csr_array, numpy array of int64)
        The adjacency and each node's niche in 0..niches-1.

    Example
    -------
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
