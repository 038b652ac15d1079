"""Graph generators and loaders."""

import networkx as nx
import numpy as np
import pytest

from sim.core.errors import InputError
from sim.core.network import build_graph, from_networkx, read_graph_file
from sim.core.scenario import Network


@pytest.mark.parametrize("kind", ["niches", "watts_strogatz", "erdos_renyi", "barabasi_albert", "powerlaw_cluster"])
def test_generators_give_simple_undirected_graphs_of_the_asked_degree(kind):
    g = build_graph(Network(kind=kind, mean_degree=10), 3000, np.random.default_rng(0))
    a = g.adjacency
    assert g.n == 3000
    assert (a != a.T).nnz == 0  # undirected
    assert a.diagonal().sum() == 0  # no self-loops
    assert set(np.unique(a.data)) == {1.0}  # no multi-edges
    assert 8.0 < g.degree.mean() < 10.5


def test_niche_graph_has_homophily_and_a_heavy_tail():
    g = build_graph(Network(kind="niches", homophily=0.8, niches=8), 20_000, np.random.default_rng(1))
    coo = g.adjacency.tocoo()
    inside = np.mean(g.niche[coo.row] == g.niche[coo.col])
    assert inside == pytest.approx(0.8 + 0.2 / 8, abs=0.03)  # homophily plus chance meetings
    assert g.degree.max() > 10 * g.degree.mean()  # hubs


def test_complete_graph_is_implicit_mean_field():
    g = build_graph(Network(kind="complete"), 50, np.random.default_rng(0))
    v = np.arange(50, dtype=float)
    assert np.allclose(g.neighbour_sum(v), v.sum() - v)
    dense = nx.to_numpy_array(g.to_networkx())
    assert np.allclose(dense @ v, g.neighbour_sum(v))


def test_edge_list_and_graphml_load(tmp_path):
    (tmp_path / "g.csv").write_text("# friends\nann,bob\nbob, cid\ncid dan\n")
    g = from_networkx(read_graph_file(str(tmp_path / "g.csv"), "s.toml"), 2, np.random.default_rng(0))
    assert g.n == 4 and g.edges == 3
    h = nx.path_graph(5)
    nx.set_node_attributes(h, {i: "ab"[i % 2] for i in h}, "niche")
    nx.write_graphml(h, tmp_path / "g.graphml")
    g2 = from_networkx(read_graph_file(str(tmp_path / "g.graphml"), "s.toml"), 3, np.random.default_rng(0))
    assert g2.n == 5 and g2.edges == 4 and list(g2.niche) == [0, 1, 0, 1, 0]  # niches read from the file


def test_malformed_edge_list_names_the_line(tmp_path):
    (tmp_path / "g.txt").write_text("1 2\n\n3\n")
    with pytest.raises(InputError, match="line 3"):
        read_graph_file(str(tmp_path / "g.txt"), "s.toml")
