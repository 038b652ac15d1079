"""The compiled Independent Cascade: exact on small graphs, bookkeeping, a peer implementation."""

import functools
import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from sim.core import generators as gen
from sim.core.cascade import independent_cascade
from sim.validation.closed_forms import exact_cascade
from sim.validation.ic import small_graphs

TRIALS = 40_000


@functools.cache
def exact(index: int) -> tuple[float, float]:
    _, g, seeds, p = small_graphs()[index]
    return exact_cascade(g, seeds, p)


def csr(g):
    return nx.to_scipy_sparse_array(g, nodelist=range(g.number_of_nodes()), format="csr")


@pytest.mark.parametrize("per_tie", [False, True])
@pytest.mark.parametrize("index", range(len(small_graphs())), ids=[c[0].split()[0] for c in small_graphs()])
def test_mean_spread_equals_live_edge_enumeration(index, per_tie):
    label, g, seeds, p = small_graphs()[index]
    a = csr(g)
    probs = np.full(a.nnz, p) if per_tie else p
    result = independent_cascade(a.indptr, a.indices, seeds, probs, trials=TRIALS, seed=7)
    mean, sd = exact(index)
    z = (result.mean - mean) / (sd / math.sqrt(TRIALS))
    assert abs(z) < 4, (label, result.mean, mean)
    assert result.spread.var() == pytest.approx(sd**2, rel=0.1)  # the whole law, not just its mean


def test_certain_and_impossible_ties():
    g = nx.disjoint_union(nx.path_graph(5), nx.cycle_graph(4))
    a = csr(g)
    assert independent_cascade(a.indptr, a.indices, [2], 1.0, trials=5).spread.tolist() == [5] * 5
    assert independent_cascade(a.indptr, a.indices, [0, 6], 1.0).spread.tolist() == [9]
    assert independent_cascade(a.indptr, a.indices, [0, 0, 1], 0.0, trials=3).spread.tolist() == [2, 2, 2]


def test_per_tie_probabilities_are_directed():
    a = sp.csr_array(np.array([[0, 1], [1, 0]], dtype=float))  # entries: 0->1, then 1->0
    probs = np.array([1.0, 0.0])
    assert independent_cascade(a.indptr, a.indices, [0], probs).spread.tolist() == [2]
    assert independent_cascade(a.indptr, a.indices, [1], probs).spread.tolist() == [1]


def test_reached_counts_add_up_and_seed_reproduces():
    a = gen.barabasi_albert(2000, 2, seed=1)
    first = independent_cascade(a.indptr, a.indices, [0, 1], 0.2, trials=300, seed=11, reached=True)
    again = independent_cascade(a.indptr, a.indices, [0, 1], 0.2, trials=300, seed=11)
    assert np.array_equal(first.spread, again.spread) and again.reached is None
    assert first.reached.sum() == first.spread.sum()
    assert first.reached[0] == first.reached[1] == 300
    assert first.reached.max() <= 300
    # star: a leaf is reached exactly when its tie to the centre is live
    star = csr(nx.star_graph(50))
    r = independent_cascade(star.indptr, star.indices, [0], 0.3, trials=TRIALS, seed=3, reached=True)
    share = r.reached[1:] / TRIALS
    assert abs(share.mean() - 0.3) < 4 * math.sqrt(0.3 * 0.7 / (TRIALS * 50))


def test_bad_arguments():
    a = csr(nx.path_graph(3))
    with pytest.raises(ValueError, match="seeds"):
        independent_cascade(a.indptr, a.indices, [3], 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        independent_cascade(a.indptr, a.indices, [0], 1.5)
    with pytest.raises(ValueError, match="4 ties"):
        independent_cascade(a.indptr, a.indices, [0], np.full(3, 0.1))


@pytest.mark.parametrize("p", [0.01, 0.05])
def test_mean_spread_matches_cynetdiff(p):
    from cynetdiff.utils import networkx_to_ic_model

    a = gen.barabasi_albert(10_000, 3, seed=2024)
    seeds = np.argsort(-np.diff(a.indptr), kind="stable")[:10]
    ours = independent_cascade(a.indptr, a.indices, seeds, p, trials=4000, seed=1).spread
    model, labels = networkx_to_ic_model(nx.from_scipy_sparse_array(a).to_directed(), activation_prob=p, rng=1)
    model.set_seeds([labels[int(s)] for s in seeds])
    peer = []
    for _ in range(4000):
        model.reset_model()
        model.advance_until_completion()
        peer.append(model.get_num_activated_nodes())
    peer = np.array(peer, dtype=float)
    se = math.sqrt(ours.var(ddof=1) / ours.size + peer.var(ddof=1) / peer.size)
    assert abs(ours.mean() - peer.mean()) < 4 * se
