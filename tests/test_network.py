"""The scenario's graph: build_graph, and graph files (edge lists, GraphML) with one-line errors."""

import os

import networkx as nx
import numpy as np
import pytest

from sim.core.errors import InputError
from sim.core.graph_files import read_edge_list, read_graph_file, read_graphml
from sim.core.model import InfluenceModel
from sim.core.network import build_graph, from_networkx
from sim.core.scenario import Network, Scenario
from sim.core.world import World


@pytest.mark.parametrize("kind", ["niches", "watts_strogatz", "erdos_renyi", "barabasi_albert", "powerlaw_cluster"])
def test_generators_give_simple_undirected_graphs_of_the_asked_degree(kind):
    g = build_graph(Network(kind=kind, mean_degree=10), 3000, np.random.default_rng(0))
    a = g.adjacency
    assert g.n == 3000
    assert (a != a.T).nnz == 0  # undirected
    assert a.diagonal().sum() == 0  # no self-loops
    assert set(np.unique(a.data)) == {1.0}  # no multi-edges
    assert 8.0 < g.degree.mean() < 10.5
    assert g.niche.shape == (3000,) and g.niche.min() >= 0 and g.niche.max() < 8


def test_build_graph_is_reproducible():
    net = Network(kind="powerlaw_cluster", mean_degree=6, clustering=0.4, niches=4)
    a = build_graph(net, 500, np.random.default_rng(3))
    b = build_graph(net, 500, np.random.default_rng(3))
    assert (a.adjacency != b.adjacency).nnz == 0 and np.array_equal(a.niche, b.niche)


def test_complete_graph_is_implicit_mean_field():
    g = build_graph(Network(kind="complete"), 50, np.random.default_rng(0))
    v = np.arange(50, dtype=float)
    assert np.allclose(g.neighbour_sum(v), v.sum() - v)
    dense = nx.to_numpy_array(g.to_networkx())
    assert np.allclose(dense @ v, g.neighbour_sum(v))


# --- edge lists --------------------------------------------------------------------------------


def test_edge_list_with_labels_separators_comments_and_extra_columns(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes("\ufeff# friends\r\nann,bob\r\nbob, cid 0.5\n\ncid\tdan # weak tie\nJosé ann\nbob ann\n".encode())
    a = read_edge_list(path)
    # nodes in order of first appearance: ann 0, bob 1, cid 2, dan 3, José 4
    expected = {(0, 1), (1, 2), (2, 3), (0, 4)}
    coo = a.tocoo()
    assert {(int(i), int(j)) for i, j in zip(coo.row, coo.col, strict=True) if i < j} == expected


def test_integer_labels_are_numbered_in_numeric_order(tmp_path):
    (tmp_path / "g.txt").write_text("10 2\n2 7\n7 10\n1000000 2\n")
    a = read_edge_list(tmp_path / "g.txt")
    assert a.shape == (4, 4)  # 2, 7, 10, 1000000 -> 0, 1, 2, 3
    assert a[[0], :].indices.tolist() == [1, 2, 3]
    assert a[[3], :].indices.tolist() == [0]


def test_big_integer_file_matches_networkx(tmp_path):
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, 5000, 20_000), rng.integers(0, 5000, 20_000)
    np.savetxt(tmp_path / "g.txt", np.c_[u * 3, v * 3], fmt="%d")
    ours = read_edge_list(tmp_path / "g.txt")
    g = nx.read_edgelist(tmp_path / "g.txt", nodetype=int)
    g.remove_edges_from(nx.selfloop_edges(g))
    ref = nx.to_scipy_sparse_array(g, nodelist=sorted(g), format="csr")
    assert (ours != ref).nnz == 0


def test_graphml_with_niches(tmp_path):
    h = nx.path_graph(5)
    nx.set_node_attributes(h, {i: "ab"[i % 2] for i in h}, "niche")
    nx.write_graphml(h, tmp_path / "g.graphml")
    adj, niche = read_graphml(tmp_path / "g.graphml")
    assert adj.nnz == 8 and list(niche) == [0, 1, 0, 1, 0]
    g = from_networkx(h, 3, np.random.default_rng(0))
    assert g.n == 5 and g.edges == 4 and list(g.niche) == [0, 1, 0, 1, 0]


@pytest.mark.parametrize(
    "name, content, key, allowed",
    [
        ("g.txt", b"1 2\n\n3\n", "line 3", "each line 'source target'"),
        ("g.txt", b"1 2\n2 3 \xe9t\xe9\n", "line 2", "must be UTF-8 text"),
        ("g.txt", b"1 2\n\x00\x01\x02\x03", "line 2", "not binary data"),
        ("g.txt", b"# only a comment\n\n", "(edges)", "at least one tie"),
        ("g.graphml", b"<graphml><graph", "(graphml)", "a valid GraphML file"),
        (
            "g.graphml",
            b'<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            b'<graph edgedefault="undirected"></graph></graphml>',
            "(nodes)",
            "at least one node",
        ),
    ],
)
def test_bad_graph_files_give_one_line(tmp_path, name, content, key, allowed):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_graph_file(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and key in message and allowed in message


def test_a_folder_or_a_fifo_is_refused_without_reading(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_graph_file(tmp_path)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):  # would block for ever if opened
        read_graph_file(fifo)
    with pytest.raises(InputError, match="no such graph file"):
        read_graph_file(tmp_path / "missing.txt")


def test_a_missing_graph_file_names_the_scenario_and_key(tmp_path):
    with pytest.raises(InputError) as err:
        build_graph(Network(kind="file", path=str(tmp_path / "none.txt")), 10, np.random.default_rng(0), "s.toml")
    assert str(err.value).startswith("s.toml: network.path = ") and "no such graph file" in str(err.value)


def file_scenario(path) -> Scenario:
    return Scenario(
        name="file_graph",
        market={"population": 1000, "consumers": 10, "days": 5},
        network={"kind": "file", "path": str(path)},
        budget={"total": 1000, "split": {"micro": 1.0}},
    )


@pytest.mark.parametrize(
    "name, content, nodes",
    [
        ("loops.txt", "1 1\n2 2\n3 3\n", 3),  # valid but degenerate: no ties at all
        (
            "one.graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<graph edgedefault="undirected"><node id="a"/></graph></graphml>',
            1,
        ),
    ],
)
def test_degenerate_graph_files_give_a_world_that_runs(tmp_path, name, content, nodes):
    (tmp_path / name).write_text(content)
    sc = file_scenario(tmp_path / name)
    world = World.build(sc)
    assert world.n == nodes and world.graph.edges == 0
    model = InfluenceModel(sc, world=world).run()
    assert 0 <= model.state.adopted.sum() <= nodes
