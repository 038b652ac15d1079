"""Compiled graph generators: the same law as networkx's, exact CSR structure, reproducible.

Statistical comparisons use per-graph summaries over many fixed seeds and a two-sample z
score; 4 SE leaves room for the several statistics compared at once.
"""

import random

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from sim.core import generators as gen
from sim.core import graph_kernels

Z = 4.0


def summary(adj) -> np.ndarray:
    """Per graph: ties, mean local clustering, max degree, share of minimum degree, mean squared degree."""
    a = sp.csr_array(adj, dtype=np.float64)
    deg = np.diff(a.indptr)
    triangles = (a @ a).multiply(a).sum(axis=1) / 2
    clustering = np.where(deg > 1, 2 * triangles / np.maximum(deg * (deg - 1), 1), 0.0)
    return np.array([a.nnz / 2, clustering.mean(), deg.max(), (deg == deg.min()).mean(), (deg**2).mean()])


def z_scores(ours, theirs) -> np.ndarray:
    a, b = np.array(ours), np.array(theirs)
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    return np.where(se > 0, (a.mean(0) - b.mean(0)) / np.where(se > 0, se, 1), 0.0)


def assert_simple_undirected(a: sp.csr_array, n: int):
    assert a.shape == (n, n)
    assert (a != a.T).nnz == 0
    assert a.diagonal().sum() == 0
    assert set(np.unique(a.data)) <= {1.0}
    assert a.has_sorted_indices
    for i in range(n):  # no repeated column within a row
        row = a.indices[a.indptr[i] : a.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


def test_csr_from_pairs_equals_scipys_construction():
    rng = np.random.default_rng(0)
    n = 60
    u, v = rng.integers(0, n, 400), rng.integers(0, n, 400)  # loops and repeats included
    ours = gen.csr_from_pairs(u, v, n)
    keep = u != v
    ref = sp.coo_array((np.ones(2 * keep.sum()), (np.r_[u[keep], v[keep]], np.r_[v[keep], u[keep]])), shape=(n, n))
    ref = (ref.tocsr() > 0).astype(np.float64)
    assert (ours != ref).nnz == 0
    assert_simple_undirected(ours, n)
    assert gen.csr_from_pairs(np.array([3, 3]), np.array([3, 3]), 5).nnz == 0  # loops only: no ties
    # the compiled builder (used from COMPILED_FROM pairs on) gives the very same arrays
    indptr, indices = graph_kernels.csr_arrays(u, v, n, np.dtype(np.int32))
    assert np.array_equal(indptr, ours.indptr) and np.array_equal(indices, ours.indices)


def test_bucketed_search_equals_numpy_searchsorted():
    rng = np.random.default_rng(1)
    weights = rng.pareto(1.5, 5000) + 1.0
    weights[::7] = 0.0  # flat stretches of the cumsum
    cum = np.cumsum(weights)
    keys = np.concatenate([rng.random(20_000) * cum[-1], cum[:100], [0.0, cum[-1] * (1 - 1e-16)]])
    assert np.array_equal(graph_kernels.search_sorted(cum, keys, cum.size), np.searchsorted(cum, keys, side="right"))


def test_barabasi_albert_structure_and_reproducibility():
    a = gen.barabasi_albert(500, 3, seed=5)
    assert_simple_undirected(a, 500)
    assert a.nnz // 2 == 3 * (500 - 3)  # the star's m ties, then m per new node
    assert np.diff(a.indptr).min() == 3
    assert (gen.barabasi_albert(500, 3, seed=5) != a).nnz == 0
    rng = np.random.default_rng(5)
    first, second = gen.barabasi_albert(500, 3, rng), gen.barabasi_albert(500, 3, rng)
    assert (first != second).nnz > 0  # a Generator advances
    with pytest.raises(ValueError, match="1 <= m < n"):
        gen.barabasi_albert(3, 3)


def test_barabasi_albert_has_networkx_law():
    n, m, reps = 1000, 3, 60
    ours = [summary(gen.barabasi_albert(n, m, seed=s)) for s in range(reps)]
    theirs = [summary(nx.to_scipy_sparse_array(nx.barabasi_albert_graph(n, m, seed=s))) for s in range(reps)]
    z = z_scores(ours, theirs)
    assert np.all(np.abs(z) < Z), z


def test_powerlaw_cluster_without_triangles_has_networkx_law():
    """With p = 0 networkx's order of popping its candidate set plays no part: the laws must agree."""
    n, m, reps = 1000, 3, 60
    ours = [summary(gen.powerlaw_cluster(n, m, 0.0, seed=s)) for s in range(reps)]
    theirs = [summary(nx.to_scipy_sparse_array(nx.powerlaw_cluster_graph(n, m, 0.0, seed=s))) for s in range(reps)]
    z = z_scores(ours, theirs)
    assert np.all(np.abs(z) < Z), z


def holme_kim_reference(n, m, p, seed):
    """networkx's powerlaw_cluster_graph, with its candidates attached in the order drawn.

    networkx keeps them in a set and pops in the set's hash order, which favours nodes whose
    number is a multiple of the table size (node 0 above all) as the triangle's anchor.
    """
    rng = random.Random(seed)
    g = nx.empty_graph(m)
    repeated = list(g)
    for source in range(m, n):
        candidates = []
        while len(candidates) < m:
            x = rng.choice(repeated)
            if x not in candidates:
                candidates.append(x)
        target = candidates.pop(0)
        g.add_edge(source, target)
        repeated.append(target)
        count = 1
        while count < m:
            if rng.random() < p:
                free = [w for w in g.neighbors(target) if not g.has_edge(source, w) and w != source]
                if free:
                    w = rng.choice(free)
                    g.add_edge(source, w)
                    repeated.append(w)
                    count += 1
                    continue
            target = candidates.pop(0)
            g.add_edge(source, target)
            repeated.append(target)
            count += 1
        repeated.extend([source] * m)
    return g


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_powerlaw_cluster_has_holme_kim_law(p):
    n, m, reps = 600, 3, 50
    ours = [summary(gen.powerlaw_cluster(n, m, p, seed=s)) for s in range(reps)]
    theirs = [summary(nx.to_scipy_sparse_array(holme_kim_reference(n, m, p, s))) for s in range(reps)]
    z = z_scores(ours, theirs)
    assert np.all(np.abs(z) < Z), z
    assert np.mean([s[1] for s in ours]) > np.mean([summary(gen.barabasi_albert(n, m, s))[1] for s in range(10)]) * 5


def test_powerlaw_cluster_structure():
    a = gen.powerlaw_cluster(800, 4, 0.7, seed=2)
    assert_simple_undirected(a, 800)
    assert a.nnz // 2 <= 4 * (800 - 4)
    assert np.diff(a.indptr)[4:].min() >= 4  # every later node made m distinct ties
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        gen.powerlaw_cluster(100, 2, 1.5)


def test_uniform_generators():
    a = gen.erdos_renyi(2000, 10_000, seed=0)
    assert_simple_undirected(a, 2000)
    assert 9_950 < a.nnz // 2 <= 10_000  # a few draws repeat
    ring = gen.watts_strogatz(20, 4, 0.0)
    assert_simple_undirected(ring, 20)
    assert ring[[0], :].indices.tolist() == [1, 2, 18, 19]
    rewired = gen.watts_strogatz(2000, 10, 0.2, seed=3)
    mean_c = summary(rewired)[1]
    assert 0.2 < mean_c < 0.6  # lattice 0.67, times about (1 - p)^3


def test_niche_graph_homophily_and_heavy_tail():
    adj, niche = gen.niche_graph(20_000, 10, 8, 0.8, 2.5, seed=1)
    assert_simple_undirected(adj, 20_000)
    coo = adj.tocoo()
    inside = np.mean(niche[coo.row] == niche[coo.col])
    assert inside == pytest.approx(0.8 + 0.2 / 8, abs=0.03)
    deg = np.diff(adj.indptr)
    assert deg.max() > 10 * deg.mean()
