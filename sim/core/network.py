"""The social graph: generators, file loaders and a CSR adjacency the engines share.

Large graphs are built straight into arrays (``niches``, ``watts_strogatz``, ``erdos_renyi``);
networkx is used only where a generator is inherently sequential (``barabasi_albert``,
``powerlaw_cluster``) and for loading files. ``complete`` is stored implicitly (mean field).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.core.errors import InputError
from sim.core.scenario import Network

LOUVAIN_MAX_NODES = 20_000
SPARSE_SENDERS = 8  # below n / 8 senders, scatter from them instead of a full mat-vec


@dataclass(frozen=True)
class SocialGraph:
    """Undirected consumer graph: CSR adjacency (None when complete), degrees and niches."""

    n: int
    adjacency: sp.csr_array | None
    niche: np.ndarray
    kind: str

    @property
    def complete(self) -> bool:
        return self.adjacency is None

    @property
    def degree(self) -> np.ndarray:
        if self.adjacency is None:
            return np.full(self.n, self.n - 1, dtype=np.float64)
        return np.diff(self.adjacency.indptr).astype(np.float64)

    @property
    def edges(self) -> int:
        if self.adjacency is None:
            return self.n * (self.n - 1) // 2
        return self.adjacency.nnz // 2

    def neighbour_sum(self, values: np.ndarray, senders: np.ndarray | None = None) -> np.ndarray:
        """For each node, the sum of ``values`` (a vector, or columns) over its neighbours.

        ``senders``, if given, lists the only nodes whose values may be non-zero. When they are
        few (early in a diffusion) only their ties are visited: the graph is undirected, so
        summing over a node's neighbours equals scattering from the senders.
        """
        if self.adjacency is None:
            return values.sum(axis=0) - values
        if senders is not None and senders.size * SPARSE_SENDERS < self.n:
            return self.adjacency[senders].T @ values[senders]
        return self.adjacency @ values

    def neighbours(self, i: int) -> np.ndarray:
        if self.adjacency is None:
            return np.delete(np.arange(self.n), i)
        a = self.adjacency
        return a.indices[a.indptr[i] : a.indptr[i + 1]]

    def to_networkx(self) -> nx.Graph:
        """The same graph for Mesa's Network space and for drawing (small graphs only)."""
        g = nx.complete_graph(self.n) if self.adjacency is None else nx.from_scipy_sparse_array(self.adjacency)
        nx.set_node_attributes(g, {i: int(k) for i, k in enumerate(self.niche)}, "niche")
        return g


def build_graph(net: Network, n: int, rng: np.random.Generator, source: str = "<scenario>") -> SocialGraph:
    """Build the graph a scenario asks for, with ``n`` consumers unless read from a file."""
    kind = net.kind
    if kind == "complete":
        return SocialGraph(n, None, rng.integers(0, net.niches, n), kind)
    if kind == "niches":
        adj, niche = _niche_graph(n, net.mean_degree, net.niches, net.homophily, net.degree_exponent, rng)
        return SocialGraph(n, adj, niche, kind)
    if kind == "watts_strogatz":
        adj = _watts_strogatz(n, net.mean_degree, net.rewiring, rng)
        niche = (np.arange(n) * net.niches // n).astype(np.int64)  # ring blocks are communities
        return SocialGraph(n, adj, niche, kind)
    if kind == "erdos_renyi":
        m = int(round(n * net.mean_degree / 2))
        adj = _from_pairs(rng.integers(0, n, m), rng.integers(0, n, m), n)
        return SocialGraph(n, adj, rng.integers(0, net.niches, n), kind)
    seed = int(rng.integers(2**31))
    m = max(1, min(n - 1, int(round(net.mean_degree / 2))))
    if kind == "barabasi_albert":
        g = nx.barabasi_albert_graph(n, m, seed=seed)
    elif kind == "powerlaw_cluster":
        g = nx.powerlaw_cluster_graph(n, m, net.clustering, seed=seed)
    else:
        g = read_graph_file(net.path or "", source)
    return from_networkx(g, net.niches, rng, kind)


def from_networkx(g: nx.Graph, niches: int, rng: np.random.Generator, kind: str = "file") -> SocialGraph:
    """Relabel nodes 0..n-1; take niches from a ``niche`` node attribute or from communities."""
    g = nx.convert_node_labels_to_integers(nx.Graph(g), label_attribute="label")
    g.remove_edges_from(nx.selfloop_edges(g))
    n = g.number_of_nodes()
    adj = sp.csr_array(nx.to_scipy_sparse_array(g, nodelist=range(n), format="csr", dtype=np.float64))
    adj.data[:] = 1.0
    given = nx.get_node_attributes(g, "niche")
    if len(given) == n:
        labels = {v: i for i, v in enumerate(sorted(set(given.values()), key=str))}
        niche = np.array([labels[given[i]] for i in range(n)], dtype=np.int64)
    else:
        niche = _community_niches(g, niches, rng)
    return SocialGraph(n, adj, niche, kind)


def read_graph_file(path: str, source: str) -> nx.Graph:
    """Read an edge list (two columns, space/comma/tab separated, # comments) or GraphML."""
    p = Path(path)
    if not p.is_file():
        raise InputError(source, "network.path", path, "no such graph file")
    if p.suffix.lower() in (".graphml", ".xml"):
        try:
            return nx.read_graphml(p)
        except Exception as exc:  # networkx raises several types for bad XML
            raise InputError(str(p), "(graphml)", str(exc).splitlines()[0][:80], "a valid GraphML file") from None
    g = nx.Graph()
    with p.open(newline="", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            fields = next(csv.reader([text.replace("\t", ",")], skipinitialspace=True))
            if len(fields) == 1:
                fields = text.split()
            fields = [f.strip() for f in fields if f.strip()]
            if len(fields) < 2:
                raise InputError(str(p), f"line {lineno}", text, "each line must be 'source target'")
            g.add_edge(fields[0], fields[1])
    if g.number_of_nodes() < 2:
        raise InputError(str(p), "(edges)", g.number_of_edges(), "a graph file needs at least one edge")
    return g


def _from_pairs(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric 0/1 CSR from endpoint arrays, dropping self-loops and duplicates."""
    keep = u != v
    u, v = u[keep], v[keep]
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    adj = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    adj.sum_duplicates()
    adj.data[:] = 1.0
    return adj


def _niche_graph(n, mean_degree, niches, homophily, exponent, rng):
    """Scale-free graph with communities: Chung-Lu weights, a share ``homophily`` of ties in-niche."""
    niche = rng.integers(0, niches, n)
    weights = rng.pareto(exponent - 1, n) + 1.0
    weights = np.minimum(weights, np.sqrt(n * mean_degree) / weights.mean())
    m = int(round(n * mean_degree / 2))
    cum = np.cumsum(weights)
    u = np.searchsorted(cum, rng.random(m) * cum[-1], side="right")
    # In-niche partner: sample by weight inside the niche of u, through niche-sorted cumsums.
    order = np.argsort(niche, kind="stable")
    sorted_cum = np.cumsum(weights[order])
    bounds = np.searchsorted(niche[order], np.arange(niches + 1))
    start = np.where(bounds[:-1] > 0, sorted_cum[np.maximum(bounds[:-1] - 1, 0)], 0.0)
    start[bounds[:-1] == 0] = 0.0
    total = sorted_cum[np.maximum(bounds[1:] - 1, 0)] - start
    nu = niche[u]
    local = order[np.minimum(np.searchsorted(sorted_cum, start[nu] + rng.random(m) * total[nu], side="right"), n - 1)]
    glob = np.searchsorted(cum, rng.random(m) * cum[-1], side="right")
    v = np.where(rng.random(m) < homophily, local, glob)
    return _from_pairs(u, np.minimum(v, n - 1), n), niche.astype(np.int64)


def _watts_strogatz(n, mean_degree, rewiring, rng):
    """Ring lattice with k/2 neighbours each side; each tie's far end rewired with ``rewiring``."""
    half = max(1, int(round(mean_degree / 2)))
    u = np.repeat(np.arange(n), half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(u.size) < rewiring
    v = np.where(rewire, rng.integers(0, n, u.size), v)
    return _from_pairs(u, v, n)


def _community_niches(g: nx.Graph, niches: int, rng: np.random.Generator) -> np.ndarray:
    """Niches from graph communities (Louvain), packed largest-first into ``niches`` groups."""
    n = g.number_of_nodes()
    if n > LOUVAIN_MAX_NODES or niches == 1:
        return rng.integers(0, niches, n).astype(np.int64)
    communities = nx.community.louvain_communities(g, seed=int(rng.integers(2**31)))
    sizes = np.zeros(niches)
    niche = np.zeros(n, dtype=np.int64)
    for community in sorted(communities, key=len, reverse=True):
        target = int(np.argmin(sizes))
        niche[list(community)] = target
        sizes[target] += len(community)
    return niche
